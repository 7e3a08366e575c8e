/**
 * Renaming rules between two libraries' state-dict keys, written once and usable in both
 * directions: `['layers.{i}.ln1.', 'blocks.{i}.norm1.']` renames a key prefix (a pattern ending in
 * `.`) or a whole key (any other pattern); `{name}` stands for a decimal index copied across.
 */

/** `[theirs, ours]`: a pattern in one library's names and its counterpart. */
export type KeyRule = readonly [string, string];

interface Compiled {
  re: RegExp;
  names: string[];
  to: string;
}

const cache = new WeakMap<readonly KeyRule[], { forward: Compiled[]; backward: Compiled[] }>();

function compileOne(from: string, to: string): Compiled {
  const names: string[] = [];
  const body = from
    .split(/(\{[a-z]+\})/)
    .map((part) => {
      const m = /^\{([a-z]+)\}$/.exec(part);
      if (m) {
        names.push(m[1]);
        return '(\\d+)';
      }
      return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { re: new RegExp(`^${body}${from.endsWith('.') ? '' : '$'}`), names, to };
}

function compiled(rules: readonly KeyRule[]): { forward: Compiled[]; backward: Compiled[] } {
  let c = cache.get(rules);
  if (!c) {
    c = {
      forward: rules.map(([a, b]) => compileOne(a, b)),
      // Backwards the first rule reaching a name wins (several spellings may map onto one of ours).
      backward: rules.map(([a, b]) => compileOne(b, a)),
    };
    cache.set(rules, c);
  }
  return c;
}

/**
 * The key renamed by the first rule that matches it (`'forward'`: theirs → ours), or `null` when none
 * does.
 */
export function renameKey(key: string, rules: readonly KeyRule[], direction: 'forward' | 'backward' = 'forward'): string | null {
  for (const r of compiled(rules)[direction]) {
    const m = r.re.exec(key);
    if (!m) continue;
    let to = r.to;
    r.names.forEach((name, i) => {
      to = to.replace(`{${name}}`, m[i + 1]);
    });
    return to + key.slice(m[0].length);
  }
  return null;
}
