// What the benchmark scripts share.
import { spawnSync } from 'node:child_process';

/**
 * The glibc malloc settings selfsup's addon applies to itself (native/runtime.cc), passed to the
 * Python reference through glibc's environment variables so both sides allocate alike.
 */
export const MALLOC_ENV = {
  MALLOC_MMAP_THRESHOLD_: String(32 << 20),
  MALLOC_MMAP_MAX_: '0',
  MALLOC_TRIM_THRESHOLD_: String(1 << 30),
  MALLOC_TOP_PAD_: String(64 << 20),
};

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs a measuring child process (`env` added to this one's) and returns the JSON object on the
 * last line of its stdout; a failed child throws with its stderr.
 */
export function runJson(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/**
 * Milliseconds of each of `steps` calls of `step` after `warmup` untimed ones; `sync` (a GPU's
 * synchronize) runs after the warm-up and after each timed call, so that queued kernels count.
 */
export function stepTimes(step, steps, { warmup = 2, sync = () => {} } = {}) {
  for (let i = 0; i < warmup; i++) step();
  sync();
  const times = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    step();
    sync();
    times.push(performance.now() - t);
  }
  return times;
}

/** `@selfsup/torch` with `threads` threads and seed 0, and the algorithm a selfsup config file builds. */
export async function loadAlgorithm(config, threads) {
  const torch = await import('../packages/torch/dist/src/index.js');
  await import('../packages/selfsup/dist/src/builtins.js');
  const { ALGORITHMS } = await import('../packages/selfsup/dist/src/models/registries.js');
  const { prepareConfig } = await import('../packages/selfsup/dist/src/engine/config/prepare.js');
  torch.setNumThreads(threads);
  torch.manualSeed(0);
  return { torch, model: ALGORITHMS.build(prepareConfig(config).model, 'model') };
}
