/** PyTorch-style `tensor([...])` printing, summarised like PyTorch for large tensors. */
import type { Tensor } from './tensor.js';

const EDGE = 3;
const THRESHOLD = 1000;

function fmtNumber(v: number | boolean, isFloat: boolean, sci: boolean, allInt = false): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (!isFloat) return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (sci) return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
  return allInt ? `${v}.` : v.toFixed(4);
}

export function formatTensor(t: Tensor): string {
  const shape = t.shape;
  const dtype = t.dtype;
  const isFloat = dtype.startsWith('float') || dtype === 'bfloat16';
  const list = t.toList();
  const flat: number[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) for (const e of x) walk(e);
    else if (typeof x === 'number') flat.push(x);
  };
  walk(list);
  const finite = flat.filter((v) => Number.isFinite(v) && v !== 0).map(Math.abs);
  const sci = isFloat && finite.length > 0 && (Math.max(...finite) >= 1e8 || Math.min(...finite) < 1e-4);
  // PyTorch prints `1., 2.` when every value is integral, else one fixed precision for all.
  const allInt = flat.every((v) => !Number.isFinite(v) || Number.isInteger(v));
  const summarize = t.numel() > THRESHOLD;
  const rec = (x: unknown, depth: number): string => {
    if (!Array.isArray(x)) return fmtNumber(x as number | boolean, isFloat, sci, allInt);
    let items: string[];
    if (summarize && x.length > 2 * EDGE) {
      items = [...x.slice(0, EDGE).map((e) => rec(e, depth + 1)), '...', ...x.slice(-EDGE).map((e) => rec(e, depth + 1))];
    } else {
      items = x.map((e) => rec(e, depth + 1));
    }
    const sep = depth === shape.length - 1 ? ', ' : `,\n${' '.repeat(depth + 8)}`;
    return `[${items.join(sep)}]`;
  };
  const extras: string[] = [];
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  if (!(dtype === 'float32' || dtype === 'int64' || dtype === 'bool')) extras.push(`dtype=torch.${dtype}`);
  const gf = t.gradFn;
  if (gf) extras.push(`grad_fn=<${gf}>`);
  else if (t.requiresGrad) extras.push('requires_grad=True');
  const body = shape.length === 0 ? fmtNumber(list as number, isFloat, sci, allInt) : rec(list, 0);
  return `tensor(${body}${extras.length ? `, ${extras.join(', ')}` : ''})`;
}
