/** A config ready to run: loaded with its bases, overridden by `--cfg-options`, validated. */
import { type Config, validateConfig } from './config.js';
import { loadConfig } from './load.js';
import { applyCfgOptions } from './options.js';

export function prepareConfig(file: string, cfgOptions: string[] = []): Config {
  const raw = applyCfgOptions(loadConfig(file), cfgOptions);
  // A work dir's config.json records its work dir; it is an output, not an input.
  const { workDir: _w, ...rest } = raw;
  return validateConfig(file.endsWith('.json') ? rest : raw);
}
