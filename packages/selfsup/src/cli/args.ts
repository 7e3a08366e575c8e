/**
 * Shared command-line pieces: usage errors (exit code 2), exit codes, flag value helpers. Parsing
 * itself is commander's (src/cli/command.ts).
 */

/** A usage error: the command prints it with its usage and exits with code 2. */
export class UsageError extends Error {}

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, INTERRUPTED: 130 } as const;

/** `--on-corrupt error|skip`: what a command does with images that do not decode (default: fail). */
export function corruptFlag(v: string | undefined): 'error' | 'skip' | undefined {
  if (v === undefined || v === 'error' || v === 'skip') return v;
  throw new UsageError(`--on-corrupt must be error or skip, got '${v}'`);
}

/** A flag's value as a number, or a UsageError naming the flag. */
export function numberFlag(
  value: string | undefined,
  flag: string,
  o: { integer?: boolean; min?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (o.integer && !Number.isInteger(n)) || (o.min !== undefined && n < o.min))
    throw new UsageError(
      `${flag}: expected ${o.integer ? 'an integer' : 'a number'}${o.min !== undefined ? ` ≥ ${o.min}` : ''}, got '${value}'`,
    );
  return n;
}

/** Prints the last line of a `--json` result. */
export function printJson(result: unknown): void {
  console.log(JSON.stringify(result));
}
