/** `selfsup list [kind]`: what a config can name (registered parts) and the bundled configs. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../builtins.js';
import type { Registry } from '../core/registry.js';
import { EXIT, printJson, UsageError } from './args.js';
import { defineCommand, runCommand } from './command.js';
import { HOOKS, OPTIMIZERS, PARAM_SCHEDULERS } from '../engine/registries.js';
import { ALGORITHMS, BACKBONES, HEADS, LOSSES, NECKS, TARGET_GENERATORS } from '../models/registries.js';
import { DATASETS, PIPELINE_STEPS, TRANSFORMS } from '../data/registries.js';

export const LIST_USAGE = `usage: selfsup list [algorithms|backbones|necks|heads|losses|target-generators|datasets|transforms|pipeline-steps|hooks|optimizers|schedulers|configs] [--json]

Lists registered parts (what a config's \`type\` can name) and the bundled configs (\`selfsup train\`
takes a config's listed path or bare name from any directory; --json gives full paths).
`;

const REGISTRIES: Record<string, Pick<Registry<unknown>, 'list' | 'description'>> = {
  algorithms: ALGORITHMS,
  backbones: BACKBONES,
  necks: NECKS,
  heads: HEADS,
  losses: LOSSES,
  'target-generators': TARGET_GENERATORS,
  datasets: DATASETS,
  transforms: TRANSFORMS,
  'pipeline-steps': PIPELINE_STEPS,
  hooks: HOOKS,
  optimizers: OPTIMIZERS,
  schedulers: PARAM_SCHEDULERS,
};

/** The bundled config directory (`packages/selfsup/configs`). */
export const CONFIG_DIR = fileURLToPath(new URL('../../../configs', import.meta.url));

/** Bundled configs, relative to the config dir, without `_base_` files (nor the dir's tsconfig.json). */
export function bundledConfigs(): string[] {
  if (!existsSync(CONFIG_DIR)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) {
        if (f !== '_base_') walk(p);
      } else if (/\.(ts|js|json)$/.test(f) && f !== 'tsconfig.json') out.push(relative(CONFIG_DIR, p));
    }
  };
  walk(CONFIG_DIR);
  return out;
}

export const LIST = defineCommand({
  name: 'list',
  summary: 'registered algorithms, backbones, transforms, hooks, … and bundled configs',
  usage: LIST_USAGE,
  args: '[kinds...]',
  options: { json: { type: 'boolean' } } as const,
  run: runList,
});

/** Runs `selfsup list <argv>`; returns the exit code. */
export const list = (argv: string[]): Promise<number> => runCommand(LIST, argv);

async function runList(values: { json?: boolean }, positionals: string[]): Promise<number> {
  const kinds = positionals.length ? positionals : [...Object.keys(REGISTRIES), 'configs'];
  const result: Record<string, string[]> = {};
  for (const k of kinds) {
    // --json: full paths (a script can open them); the listing: paths `selfsup train` also takes.
    if (k === 'configs') result.configs = bundledConfigs().map((c) => (values.json ? join(CONFIG_DIR, c) : c));
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
