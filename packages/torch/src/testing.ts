/**
 * `@selfsup/torch/testing`: what tests of this engine and of code built on it share — reference
 * values computed by Python PyTorch in a subprocess (`py`), finite-difference gradient checks,
 * and elementwise comparison with a readable failure (like `torch.testing.assert_close`).
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';
import * as torch from './index.js';

/** The Python that has torch: Debian's, not a pyenv shim without it. */
export const PYTHON = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';

/**
 * Runs `code` in python3-torch. `data` arrives as `D` (JSON); the code assigns `OUT`, a JSON-able
 * value in which torch tensors are turned into nested lists.
 */
export function py<T = unknown>(code: string, data: unknown = {}): T {
  // Same thread count as this process: reductions then split the same way on both sides.
  const prelude = `
import json, sys, math, torch
torch.set_num_threads(${torch.getNumThreads()})
D = json.loads(sys.stdin.read())
def T(x, dtype=torch.float64): return torch.tensor(x, dtype=dtype)
def _conv(v):
    if isinstance(v, torch.Tensor): return v.detach().double().tolist() if v.is_floating_point() else v.tolist()
    if isinstance(v, dict): return {k: _conv(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [_conv(x) for x in v]
    return v
`;
  const r = spawnSync(PYTHON, ['-c', `${prelude}\n${code}\nprint(json.dumps(_conv(OUT)))`], {
    input: JSON.stringify(data),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as T;
}

type Nested = number | boolean | Nested[];

function flat(x: unknown, out: number[] = []): number[] {
  if (Array.isArray(x)) for (const e of x) flat(e, out);
  else out.push(typeof x === 'boolean' ? Number(x) : (x as number));
  return out;
}

function shapeOf(x: unknown): number[] {
  const s: number[] = [];
  let c = x;
  while (Array.isArray(c)) {
    s.push(c.length);
    c = c[0];
  }
  return s;
}

/** Both values flattened, after checking that their shapes agree. */
function flatPair(actual: torch.Tensor | Nested, expected: torch.Tensor | Nested, what: string): [number[], number[]] {
  const a = actual instanceof torch.Tensor ? actual.toList() : actual;
  const e = expected instanceof torch.Tensor ? expected.toList() : expected;
  assert.deepEqual(
    shapeOf(a),
    shapeOf(e),
    `${what}: shape ${JSON.stringify(shapeOf(a))} vs expected ${JSON.stringify(shapeOf(e))}`,
  );
  return [flat(a), flat(e)];
}

/** Largest |actual − expected| over all elements (shapes must agree; NaN counts as infinite). */
export function maxAbsDiff(actual: torch.Tensor | Nested, expected: torch.Tensor | Nested, what = 'value'): number {
  const [fa, fe] = flatPair(actual, expected, what);
  let m = 0;
  for (let i = 0; i < fa.length; i++) {
    const d = Math.abs(fa[i] - fe[i]);
    m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(m, d);
  }
  return m;
}

/** Asserts `actual` (a tensor or nested numbers) matches `expected` elementwise within tolerance. */
export function assertClose(actual: torch.Tensor | Nested, expected: Nested | torch.Tensor, tol = 1e-5, what = 'value'): void {
  const [fa, fe] = flatPair(actual, expected, what);
  for (let i = 0; i < fa.length; i++) {
    const x = fa[i];
    const y = fe[i];
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    const err = Math.abs(x - y);
    if (!(err <= tol * (1 + Math.abs(y)))) {
      assert.fail(`${what}: element ${i} is ${x}, expected ${y} (|diff| ${err.toExponential(2)} > tol ${tol})`);
    }
  }
}

/**
 * Checks autograd's gradient of `f` (tensor inputs → tensor) against central finite differences
 * in float64, through the scalar sum(f(x) · w) with fixed random weights w.
 */
export function gradCheck(
  f: (...xs: torch.Tensor[]) => torch.Tensor,
  inputs: torch.Tensor[],
  opts: { eps?: number; tol?: number; what?: string } = {},
): void {
  const eps = opts.eps ?? 1e-6;
  const tol = opts.tol ?? 1e-5;
  torch.tidy(() => {
    const xs = inputs.map((x) => x.double().detach().requiresGrad_(true));
    const out0 = f(...xs);
    const w = torch.randnLike(out0.detach());
    const scalar = (ys: torch.Tensor[]) =>
      torch.noGrad(() =>
        f(...ys)
          .mul(w)
          .sum()
          .item(),
      );
    out0.mul(w).sum().backward();
    xs.forEach((x, k) => {
      if (!x.isFloatingPoint()) return;
      const analytic = x.grad?.toTypedArray() as Float64Array;
      const base = x.detach().clone();
      const n = base.numel();
      const numeric = new Float64Array(n);
      const flatBase = base.view(-1);
      for (let i = 0; i < n; i++) {
        const orig = flatBase.index(i).item();
        flatBase.indexPut_([i], orig + eps);
        const up = scalar(xs.map((y, j) => (j === k ? base : y.detach())));
        flatBase.indexPut_([i], orig - eps);
        const down = scalar(xs.map((y, j) => (j === k ? base : y.detach())));
        flatBase.indexPut_([i], orig);
        numeric[i] = (up - down) / (2 * eps);
      }
      for (let i = 0; i < n; i++) {
        const err = Math.abs(analytic[i] - numeric[i]);
        if (!(err <= tol * (1 + Math.abs(numeric[i])))) {
          assert.fail(
            `${opts.what ?? 'gradCheck'}: input ${k} element ${i}: autograd ${analytic[i]}, finite difference ${numeric[i]}`,
          );
        }
      }
    });
  });
}

/** A deterministic pseudo-random nested array (no RNG state touched), values in [-1, 1). */
export function pseudo(shape: number[], seed = 1): number[] | number[][] | number[][][] | number[][][][] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.round(((s / 4294967296) * 2 - 1) * 1e4) / 1e4;
  };
  const build = (level: number): unknown =>
    level === shape.length ? next() : Array.from({ length: shape[level] }, () => build(level + 1));
  return build(0) as number[];
}

/** A TCP port free on 127.0.0.1 right now (for a test's process-group rendezvous). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
