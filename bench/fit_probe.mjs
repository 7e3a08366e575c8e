#!/usr/bin/env node
// How well does the fit's timing probe predict the run? On one fitted config (a work dir's
// config.json from bench/quality.mjs), in one process: `measureIterSeconds` twice (how far one
// probe is from the next), then 120 training iterations, whose logged 20-iteration windows show
// the steady pace and its spread.
//   node bench/fit_probe.mjs WORKDIR/config.json --root DIR [--cache DIR] [--eval-per-class 4500] [--iters 120]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    root: { type: 'string' },
    cache: { type: 'string', default: 'work_dirs/quality/cache' },
    'eval-per-class': { type: 'string', default: '4500' },
    iters: { type: 'string', default: '120' },
  },
});
if (positionals.length !== 1 || !values.root) throw new Error('usage: fit_probe.mjs CONFIG.json --root DIR [--cache DIR]');
const here = fileURLToPath(new URL('.', import.meta.url));
// The quality benchmark's hold-out dataset type, configured through the environment its loader workers inherit.
process.env.QUALITY_ROOT = values.root;
process.env.QUALITY_CACHE = values.cache;
process.env.QUALITY_EVAL_PER_CLASS = values['eval-per-class'];
const { importUserModules } = await import('../packages/selfsup/dist/src/core/user-modules.js');
await importUserModules([join(here, 'quality-data.mjs')]);
const selfsup = await import('../packages/selfsup/dist/src/index.js');

const cfg = JSON.parse(readFileSync(positionals[0], 'utf8'));
delete cfg.workDir;
cfg.customHooks = (cfg.customHooks ?? []).filter((h) => h.type !== 'TimeBudgetHook');
for (const k of [1, 2]) {
  const m = await selfsup.measureIterSeconds(cfg);
  console.log(`probe ${k}: ${m.secondsPerIter.toFixed(3)} s/iter`);
}
const iters = Number(values.iters);
const dir = mkdtempSync(join(tmpdir(), 'selfsup-fit-probe-'));
try {
  const runner = new selfsup.Runner(
    { ...cfg, trainCfg: { type: 'IterBasedTrainLoop', maxIters: iters } },
    { workDir: dir, quiet: true },
  );
  await runner.train();
  const windows = readFileSync(join(runner.workDir, 'log.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter((r) => typeof r.iter_time === 'number');
  console.log(
    `${iters} iterations, s/iter per logged window: ${windows.map((r) => `${r.iter}:${r.iter_time.toFixed(3)}`).join(' ')}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
