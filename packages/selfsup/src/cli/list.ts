/** `selfsup list [kind]`: what a config can name (registered parts) and the bundled configs. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOOKS } from '../engine/hooks/hook.js';
import { ALGORITHMS } from '../models/algorithms/base.js';
import '../parts.js';
import { BACKBONES, DATASETS, HEADS, LOSSES, NECKS, type Registry, TRANSFORMS } from '../registry.js';
import { EXIT, parseCommand, printJson, UsageError } from './args.js';

export const LIST_USAGE = `usage: selfsup list [algorithms|backbones|necks|heads|losses|datasets|transforms|hooks|configs] [--json]

Lists registered parts (what a config's \`type\` can name) and the bundled configs.
`;

const REGISTRIES: Record<string, Registry<unknown>> = {
  algorithms: ALGORITHMS as Registry<unknown>,
  backbones: BACKBONES as Registry<unknown>,
  necks: NECKS as Registry<unknown>,
  heads: HEADS as Registry<unknown>,
  losses: LOSSES as Registry<unknown>,
  datasets: DATASETS as Registry<unknown>,
  transforms: TRANSFORMS as Registry<unknown>,
  hooks: HOOKS as Registry<unknown>,
};

/** The bundled config directory (`packages/selfsup/configs`). */
export const CONFIG_DIR = fileURLToPath(new URL('../../../configs', import.meta.url));

/** Bundled configs, relative to the config dir, without `_base_` files. */
export function bundledConfigs(): string[] {
  if (!existsSync(CONFIG_DIR)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) {
        if (f !== '_base_') walk(p);
      } else if (/\.(ts|js|json)$/.test(f)) out.push(relative(CONFIG_DIR, p));
    }
  };
  walk(CONFIG_DIR);
  return out;
}

export async function list(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const,
    { positionals: true },
  );
  if (values.help) {
    console.log(LIST_USAGE);
    return EXIT.OK;
  }
  const kinds = positionals.length ? positionals : [...Object.keys(REGISTRIES), 'configs'];
  const result: Record<string, string[]> = {};
  for (const k of kinds) {
    if (k === 'configs') result.configs = bundledConfigs();
    else if (REGISTRIES[k]) result[k] = REGISTRIES[k].list();
    else throw new UsageError(`unknown kind '${k}'; one of ${[...Object.keys(REGISTRIES), 'configs'].join(', ')}`);
  }
  if (values.json) {
    printJson(result);
    return EXIT.OK;
  }
  for (const [k, names] of Object.entries(result)) {
    console.log(`${k} (${names.length}):`);
    const reg = REGISTRIES[k];
    for (const n of names) {
      const d = reg?.description(n);
      console.log(`  ${n}${d ? `  — ${d}` : ''}`);
    }
  }
  return EXIT.OK;
}
