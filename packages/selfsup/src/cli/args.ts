/**
 * Shared command-line handling: `node:util` parseArgs with usage errors as exit code 2, `--help`
 * on every command, and MMEngine's `--cfg-options a=1 b=2` (several values after one flag).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A usage error: the command prints it with its usage and exits with code 2. */
export class UsageError extends Error {}

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` for a command; `--cfg-options` collects every following `key=value` token.
 * Throws UsageError for unknown flags or missing values.
 */
export function parseCommand<O extends Options>(
  argv: string[],
  options: O,
  opts: { positionals?: boolean } = {},
): {
  values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>['values'];
  positionals: string[];
  cfgOptions: string[];
} {
  const cfgOptions: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--cfg-options') {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) cfgOptions.push(argv[++i]);
      if (cfgOptions.length === 0) throw new UsageError('--cfg-options needs key=value pairs');
    } else {
      rest.push(argv[i]);
    }
  }
  try {
    const r = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    if (!opts.positionals && r.positionals.length > 0) throw new UsageError(`unexpected argument '${r.positionals[0]}'`);
    return { values: r.values, positionals: r.positionals, cfgOptions };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
}

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
