/** How the CLI tests run `selfsup`: in this process with the console captured, or as a child process. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `selfsup` executable of this package. */
export const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));
/** The test parts module (`--import` it to use `testConfig`'s parts in a child process). */
export const PARTS = fileURLToPath(new URL('../engine/parts.js', import.meta.url));

/** Runs `run()` with console.log/console.error captured; returns its exit code and both texts. */
export async function captureConsole(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const [log, error] = [console.log, console.error];
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => {
    out += `${a.join(' ')}\n`;
  };
  console.error = (...a: unknown[]) => {
    err += `${a.join(' ')}\n`;
  };
  try {
    return { code: await run(), out, err };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

/** Runs `selfsup <args>` as a child process (two minutes at most). */
export function spawnSelfsup(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The last line of a command's output parsed as JSON (its `--json` result; tests index into it freely). */
// biome-ignore lint/suspicious/noExplicitAny: a parsed JSON result, checked by the assertions that read it
export const lastJson = (s: string): any => JSON.parse(s.trim().split('\n').pop() as string);
