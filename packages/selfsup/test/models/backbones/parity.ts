/** Parity assertions for the transformer backbone tests: record and check max |diff|. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as torch from '@selfsup/torch';
import { maxAbsDiff } from '@selfsup/torch/testing';

export { maxAbsDiff };

type Nested = number | boolean | Nested[];

/** Parity numbers seen by this test file, printed at the end (`node --test` shows them). */
export const report: Record<string, number> = {};

/** Asserts max |actual − expected| ≤ tol, records it under `what` and returns it. */
export function assertMaxDiff(actual: torch.Tensor | Nested, expected: torch.Tensor | Nested, tol: number, what: string): number {
  const d = maxAbsDiff(actual, expected, what);
  report[what] = Math.max(report[what] ?? 0, d);
  assert.ok(d <= tol, `${what}: max |diff| ${d.toExponential(3)} > ${tol}`);
  return d;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
