/** Grad modes and `torch.autograd.grad` (libtorch's engine; nothing reimplemented here). */
import { native } from './native.js';
import { Tensor } from './tensor.js';

function withGradMode<T>(on: boolean, fn: () => T): T {
  const prev = native.isGradEnabled();
  native.setGradEnabled(on);
  try {
    const r = fn();
    if (r instanceof Promise) throw new TypeError('noGrad/enableGrad: fn must be synchronous (grad mode is thread-local state)');
    return r;
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Runs `fn` with gradient recording off (`with torch.no_grad():`). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with gradient recording on, also inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

export function setGradEnabled(on: boolean): void {
  native.setGradEnabled(on);
}

/** Runs `fn` in inference mode: no autograd recording and no version counters (fastest eval). */
export function inferenceMode<T>(fn: () => T, enabled = true): T {
  native.enterInferenceMode(enabled);
  try {
    const r = fn();
    if (r instanceof Promise) throw new TypeError('inferenceMode: fn must be synchronous');
    return r;
  } finally {
    native.exitInferenceMode();
  }
}

export function isInferenceModeEnabled(): boolean {
  return native.isInferenceMode();
}

/**
 * d(outputs)/d(inputs) without touching `.grad` (`torch.autograd.grad`). Entries are null for
 * inputs unused by the graph when `allowUnused` is set.
 */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  opts: { gradOutputs?: (Tensor | null)[]; retainGraph?: boolean; createGraph?: boolean; allowUnused?: boolean } = {},
): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gos = opts.gradOutputs ?? outs.map(() => null);
  const hs = native.autogradGrad(
    outs.map((t) => t.handle),
    ins.map((t) => t.handle),
    gos.map((t) => (t ? t.handle : null)),
    opts.retainGraph,
    opts.createGraph ?? false,
    opts.allowUnused ?? false,
  );
  return hs.map((h) => (h === null ? null : new Tensor(h)));
}

/** `torch.autograd.backward` over several tensors at once. */
export function backward(
  tensors: Tensor[],
  grads?: (Tensor | null)[],
  opts: { retainGraph?: boolean; createGraph?: boolean; inputs?: Tensor[] } = {},
): void {
  native.backward(
    tensors.map((t) => t.handle),
    (grads ?? tensors.map(() => null)).map((g) => (g ? g.handle : null)),
    opts.retainGraph,
    opts.createGraph ?? false,
    opts.inputs?.map((t) => t.handle),
  );
}
