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
