/** A config ready to run: loaded with its bases, overridden by `--cfg-options`, validated. */
import { type Config, validateConfig } from './config.js';
import { loadConfig } from './load.js';
import type { ConfigObject } from './merge.js';
import { applyCfgOptions } from './options.js';

/**
 * `edit` changes the loaded config before the `--cfg-options` (a command-line flag such as
 * `train --data`, which the options may then refine).
 */
export function prepareConfig(
  file: string,
  cfgOptions: string[] = [],
  opts: { edit?: (raw: ConfigObject) => void } = {},
): Config {
  const loaded = loadConfig(file);
  opts.edit?.(loaded);
  const raw = applyCfgOptions(loaded, cfgOptions);
  // A work dir's config.json records its work dir; it is an output, not an input.
  const { workDir: _w, ...rest } = raw;
  return validateConfig(file.endsWith('.json') ? rest : raw);
}
