/**
 * Generates src/gen/aten.ts: TypeScript types for every ATen operator overload of the installed
 * libtorch, read from `RegistrationDeclarations.h` (each line ends in a JSON comment holding the
 * schema). The output is checked in; run `npm run gen:ops -w @selfsup/torch` after a libtorch
 * upgrade. Types only: the calls themselves go through `ops.ts`, which reads schemas at run time.
 *
 * Skipped: `out=` variants (in-place ops cover preallocated outputs), Dimname (named tensor)
 * overloads and schemas with types the binding does not convert (Storage, Stream, QScheme, …).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Arg {
  type: string;
  name: string;
  hasDefault: boolean;
  kwargOnly: boolean;
  isWrite: boolean;
}

interface Schema {
  text: string;
  name: string;
  overload: string;
  args: Arg[];
  returns: string[];
}

const RESERVED = new Set(['default', 'function', 'var', 'case', 'in', 'new', 'delete', 'class', 'return', 'this', 'with']);

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(' || c === '[') depth++;
    if (c === ')' || c === ']') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function parseSchema(text: string): Schema | null {
  const m = /^([\w:]+)(?:\.(\w+))?\((.*)\) -> (.*)$/.exec(text);
  if (!m) return null;
  const [, qual, overload = '', argText, retText] = m;
  const args: Arg[] = [];
  let kwargOnly = false;
  for (const part of splitTop(argText)) {
    if (part === '*') {
      kwargOnly = true;
      continue;
    }
    const eq = part.indexOf('=');
    const decl = eq >= 0 ? part.slice(0, eq) : part;
    const sp = decl.lastIndexOf(' ');
    let type = decl.slice(0, sp).trim();
    const name = decl.slice(sp + 1).trim();
    const isWrite = /\([a-z]!\)/.test(type);
    type = type.replace(/\([a-z!|>* \->]*\)/g, '');
    args.push({ type, name, hasDefault: eq >= 0, kwargOnly, isWrite });
  }
  let rets = retText.trim();
  if (rets.startsWith('(') && rets.endsWith(')')) rets = rets.slice(1, -1);
  const returns =
    rets === '' || rets === '()'
      ? []
      : splitTop(rets).map(
          (r) =>
            r
              .replace(/\([a-z!|>* \->]*\)/g, '')
              .trim()
              .split(' ')[0],
        );
  return { text, name: qual.replace(/^aten::/, ''), overload, args, returns };
}

function tsType(t: string): string | null {
  const opt = t.endsWith('?');
  const base = opt ? t.slice(0, -1) : t;
  let ts: string | null;
  const list = /^(\w+\??)\[(\d*)\]$/.exec(base);
  if (list) {
    const [, elem, n] = list;
    const map: Record<string, string> = {
      Tensor: 'Tensor[]',
      'Tensor?': '(Tensor | null)[]',
      int: n ? 'number[] | number' : 'number[]',
      SymInt: n ? 'number[] | number' : 'number[]',
      float: 'number[]',
      bool: n ? 'boolean[] | boolean' : 'boolean[]',
      Scalar: 'Scalar[]',
    };
    ts = map[elem] ?? null;
  } else {
    const map: Record<string, string> = {
      Tensor: 'Tensor',
      int: 'number',
      SymInt: 'number',
      float: 'number',
      bool: 'boolean',
      Scalar: 'Scalar',
      ScalarType: 'DType',
      Layout: 'number',
      Device: 'string',
      MemoryFormat: 'MemoryFormat',
      Generator: 'Generator',
      str: 'string',
    };
    ts = map[base] ?? null;
  }
  if (ts === null) return null;
  return opt ? `${ts.includes('|') ? `(${ts})` : ts} | null` : ts;
}

function retType(r: string): string | null {
  const map: Record<string, string> = {
    Tensor: 'Tensor',
    'Tensor[]': 'Tensor[]',
    int: 'number',
    SymInt: 'number',
    float: 'number',
    bool: 'boolean',
    Scalar: 'number',
    ScalarType: 'number',
    'int[]': 'number[]',
    'SymInt[]': 'number[]',
  };
  return map[r] ?? null;
}

function signature(s: Schema): string | null {
  const params: string[] = [];
  const kw: string[] = [];
  const positional = s.args.filter((a) => !a.kwargOnly);
  let lastRequired = -1;
  positional.forEach((a, i) => {
    if (!a.hasDefault && !a.type.endsWith('?')) lastRequired = i;
  });
  // A required kwargs object follows the positionals, so none of them may be optional.
  if (s.args.some((a) => a.kwargOnly && !a.hasDefault && !a.type.endsWith('?'))) lastRequired = positional.length - 1;
  for (const [i, a] of positional.entries()) {
    const t = tsType(a.type);
    if (t === null) return null;
    const name = RESERVED.has(a.name) ? `${a.name}_` : a.name;
    const optional = i > lastRequired;
    params.push(
      `${name}${optional ? '?' : ''}: ${t}${!optional && (a.hasDefault || a.type.endsWith('?')) ? ' | undefined' : ''}`,
    );
  }
  for (const a of s.args.filter((x) => x.kwargOnly)) {
    const t = tsType(a.type);
    if (t === null) return null;
    const req = !a.hasDefault && !a.type.endsWith('?');
    kw.push(`${a.name}${req ? '' : '?'}: ${t}`);
  }
  if (kw.length > 0) {
    const anyRequired = s.args.some((a) => a.kwargOnly && !a.hasDefault && !a.type.endsWith('?'));
    params.push(`kwargs${anyRequired ? '' : '?'}: { ${kw.join('; ')} }`);
  }
  const rets = s.returns.map(retType);
  if (rets.some((r) => r === null)) return null;
  const ret = rets.length === 0 ? 'void' : rets.length === 1 ? (rets[0] as string) : `[${rets.join(', ')}]`;
  return `(${params.join(', ')}): ${ret}`;
}

function keep(s: Schema): boolean {
  if (s.overload === 'out' || s.overload.endsWith('_out') || s.overload.startsWith('out_')) return false;
  if (s.args.some((a) => a.kwargOnly && a.isWrite)) return false;
  if (s.args.some((a) => a.type.startsWith('Dimname'))) return false;
  return true;
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const pkg = join(here, '..', '..');
  const src = process.argv[2] ?? '/usr/include/ATen/RegistrationDeclarations.h';
  const lines = readFileSync(src, 'utf8').split('\n');
  const packets = new Map<string, { overload: string; schema: string; sig: string }[]>();
  let total = 0;
  let kept = 0;
  for (const line of lines) {
    const j = line.indexOf('// {"schema": ');
    if (j < 0) continue;
    total++;
    const meta = JSON.parse(line.slice(j + 3)) as { schema: string };
    const s = parseSchema(meta.schema);
    if (!s || !keep(s)) continue;
    const sig = signature(s);
    if (!sig) continue;
    kept++;
    const list = packets.get(s.name) ?? [];
    list.push({ overload: s.overload, schema: meta.schema, sig });
    packets.set(s.name, list);
  }
  const names = [...packets.keys()].sort();
  const out: string[] = [
    "// Generated by scripts/gen-ops.ts from libtorch's RegistrationDeclarations.h. Do not edit.",
    `// ${kept} of ${total} schemas typed (out= variants, Dimname overloads and unconvertible types left to torch.ops.call).`,
    "import type { DType, MemoryFormat } from '../dtype.js';",
    "import type { Generator } from '../random.js';",
    "import type { Scalar, Tensor } from '../tensor.js';",
    '',
    '/** Typed `torch.ops.aten`: a packet is callable (first fitting overload) and has one member per overload (`default` for the unnamed one). */',
    'export interface AtenOps {',
  ];
  for (const name of names) {
    const list = packets.get(name) ?? [];
    out.push(`  ${name}: {`);
    for (const o of list) out.push(`    ${o.sig};`);
    for (const o of list) {
      const key = o.overload === '' ? 'default' : o.overload;
      out.push(`    /** ${o.schema.replace(/\*\//g, '*\\/')} */`);
      out.push(`    ${/^\w+$/.test(key) ? key : JSON.stringify(key)}${o.sig};`);
    }
    out.push('  };');
  }
  out.push('}', '');
  mkdirSync(join(pkg, 'src', 'gen'), { recursive: true });
  writeFileSync(join(pkg, 'src', 'gen', 'aten.ts'), out.join('\n'));
  console.log(`wrote src/gen/aten.ts: ${names.length} operators, ${kept} overloads typed of ${total} schemas`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
