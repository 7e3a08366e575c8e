/**
 * The seeded streams' distributions by their moments (hand-derived): normal N(μ, σ²), Gamma(k, 1)
 * with mean k and variance k (both Marsaglia–Tsang branches: k < 1 and k ≥ 1), Beta(a, b) with mean
 * a / (a + b) and variance ab / ((a + b)²(a + b + 1)); and that equal seeds give equal streams.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/data/transforms/rng.js';

function moments(draw: () => number, n = 40000): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = draw();
    s += v;
    s2 += v * v;
  }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean };
}

test('normal, gamma and beta draws have their distributions’ mean and variance', () => {
  const r = new Rng(12);
  const nrm = moments(() => r.normal(9, 0.5));
  assert.ok(Math.abs(nrm.mean - 9) < 0.01 && Math.abs(nrm.variance - 0.25) < 0.01, JSON.stringify(nrm));
  for (const k of [0.4, 1, 3.5]) {
    const g = moments(() => r.gamma(k));
    assert.ok(
      Math.abs(g.mean - k) < 0.03 * Math.max(1, k) && Math.abs(g.variance - k) < 0.08 * Math.max(1, k),
      `Gamma(${k}): ${JSON.stringify(g)}`,
    );
  }
  for (const [a, b] of [
    [0.8, 0.8],
    [1, 1],
    [2, 5],
  ]) {
    const m = moments(() => r.beta(a, b));
    const v = (a * b) / ((a + b) ** 2 * (a + b + 1));
    assert.ok(
      Math.abs(m.mean - a / (a + b)) < 0.006 && Math.abs(m.variance - v) < 0.004,
      `Beta(${a}, ${b}): ${JSON.stringify(m)}`,
    );
  }
  assert.throws(() => r.gamma(0), /shape must be positive/);
});

test('equal seeds give equal streams; different samples differ', () => {
  const a = Rng.forSample(1, 2, 3, 4);
  const b = Rng.forSample(1, 2, 3, 4);
  const c = Rng.forSample(1, 2, 4, 4);
  const draws = (r: Rng) => [r.normal(), r.beta(0.8, 0.8), r.gamma(0.5), r.randint(0, 100)];
  const da = draws(a);
  assert.deepEqual(da, draws(b));
  assert.notDeepEqual(da, draws(c));
});

test('Rng.resume continues a stream from its position: the draws after it are the same', () => {
  const a = Rng.forSample(5, 2, 77, 1);
  for (let i = 0; i < 13; i++) a.random();
  const b = Rng.resume(a.position);
  const fromA = Array.from({ length: 20 }, () => a.normal());
  const fromB = Array.from({ length: 20 }, () => b.normal());
  assert.deepEqual(fromB, fromA);
  // A position elsewhere in the stream is another stream.
  assert.notDeepEqual(
    Array.from({ length: 5 }, () => Rng.resume(a.position ^ 1).random()),
    Array.from({ length: 5 }, () => Rng.resume(a.position).random()),
  );
  for (const bad of [-1, 2 ** 32, 1.5, Number.NaN])
    assert.throws(() => Rng.resume(bad), /Rng\.resume: a position is a 32-bit unsigned integer/);
});
