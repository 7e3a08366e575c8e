/**
 * A config named on the command line: a file path, a path under the bundled config dir (what
 * `selfsup list configs` prints), or a bundled config's bare name
 * (`simclr_resnet18-w025_1xb256-coslr-100e_cifar10`), so bundled configs work from any directory.
 * A name that matches nothing is answered with the closest bundled names.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { closest } from '../core/schema.js';
import { UsageError } from './args.js';
import { bundledConfigs, CONFIG_DIR } from './list.js';

const stem = (p: string) => basename(p, extname(p));

/** The config file `spec` names (an absolute path), or a UsageError with did-you-mean suggestions. */
export function resolveConfigArg(spec: string): string {
  const isFile = (p: string) => existsSync(p) && statSync(p).isFile();
  if (isFile(spec)) return resolve(spec);
  const bundled = bundledConfigs();
  const underDir = join(CONFIG_DIR, spec);
  if (bundled.includes(spec) && isFile(underDir)) return underDir;
  const byName = bundled.filter((c) => stem(c) === stem(spec) && (extname(spec) === '' || extname(spec) === extname(c)));
  if (byName.length === 1 && !spec.includes('/')) return join(CONFIG_DIR, byName[0]);
  if (byName.length > 1)
    throw new UsageError(`config '${spec}' names several bundled configs: ${byName.join(', ')}; give the path`);
  const near = closest(stem(spec), bundled.map(stem));
  throw new UsageError(
    `config '${spec}' not found: no such file, nor a bundled config (selfsup list configs)` +
      (near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : ''),
  );
}
