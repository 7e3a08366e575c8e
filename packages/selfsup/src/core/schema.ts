/**
 * Option schemas for registered parts (zod), with messages that read well in a config error:
 * `model.neck.hidChannels: expected a positive integer, got "abc"`. Every registered builder may
 * carry a schema; `Registry.build` checks a config against it before building, so a bad value is
 * reported by its path before any tensor is made.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

export { z };
export { ConfigError };

export const num = () => z.number({ error: 'expected a number' }).refine(Number.isFinite, 'expected a finite number');
export const posNum = () => num().refine((v) => v > 0, 'expected a positive number');
export const nonNegNum = () => num().refine((v) => v >= 0, 'expected a non-negative number');
export const int = () => z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' });
export const posInt = () =>
  z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({
    error: 'expected a positive integer',
  });
export const nonNegInt = () =>
  z.number({ error: 'expected a non-negative integer' }).int({ error: 'expected a non-negative integer' }).min(0, {
    error: 'expected a non-negative integer',
  });
export const prob = () =>
  z.number({ error: 'expected a probability in [0, 1]' }).min(0, 'expected a probability in [0, 1]').max(1, {
    error: 'expected a probability in [0, 1]',
  });
export const bool = () => z.boolean({ error: 'expected true or false' });
export const str = () => z.string({ error: 'expected a string' });
export const intList = () => z.array(int(), { error: 'expected a list of integers' });
export const numPair = () => z.tuple([num(), num()], { error: 'expected a pair of numbers [a, b]' });
/** Any part config: a `type` and options. */
export type AnyPartConfig = { type: string; [key: string]: unknown };

/**
 * A nested part config (`{ type: 'NonLinearNeck', … }`), checked by its own registry when built:
 * here only its `type` is checked. `C` is its static type, e.g. `typed<NeckConfig>()` (the union of
 * the built-in necks' configs), so configs are typed by `tsc` while the runtime check stays the same
 * (a part registered by a user module is checked by its registry like any other).
 */
export const typed = <C extends { type: string } = AnyPartConfig>(): z.ZodType<C, C> =>
  z.looseObject({ type: str() }, { error: 'expected a part config with a `type`' }) as unknown as z.ZodType<C, C>;

/** Checks `value` against `schema`; the first problems become one ConfigError under `path`. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const lines = r.error.issues.map((issue) => describeIssue(issue, path, schema));
  throw new ConfigError(lines[0].path, lines.map((l) => (l === lines[0] ? l.reason : `${l.path}: ${l.reason}`)).join('\n'));
}

function join(path: string, rest: PropertyKey[]): string {
  return [path, ...rest.map(String)].filter((s) => s !== '').join('.');
}

/** The object keys a schema allows at `path` (through optionals, defaults and arrays), for suggestions. */
function keysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  const unwrap = () => {
    for (let guard = 0; s && guard < 8; guard++) {
      const def = (s as unknown as { def: { innerType?: z.ZodType; element?: z.ZodType } }).def;
      if (def.innerType) s = def.innerType;
      else break;
    }
  };
  for (const seg of path) {
    unwrap();
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(seg)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return [];
  }
  unwrap();
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function describeIssue(issue: z.core.$ZodIssue, path: string, schema: z.ZodType): { path: string; reason: string } {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const near = closest(key, keysAt(schema, issue.path)).filter((k) => editDistance(k, key) <= Math.max(2, key.length / 3));
    return {
      path: join(path, [...issue.path, key]),
      reason: `unknown key${near.length ? `; did you mean '${near[0]}'?` : ''}`,
    };
  }
  const input = (issue as { input?: unknown }).input;
  let message = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_value' && 'values' in issue)
    message = `expected one of ${(issue.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  const got = input === undefined ? 'nothing' : JSON.stringify(input);
  return { path: join(path, issue.path), reason: `${message}, got ${got}` };
}

/** Edit distance (case-insensitive substitutions), for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
    }
  }
  return d[a.length][b.length];
}

/** The up-to-3 names closest to `name`. */
export function closest(name: string, names: Iterable<string>): string[] {
  return [...names]
    .map((n) => [n, editDistance(n, name)] as const)
    .sort((x, y) => x[1] - y[1])
    .slice(0, 3)
    .map(([n]) => n);
}
