/** Dropout and DropPath (stochastic depth). */
import { empty } from '../creation.js';
import * as F from '../functional.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Zeroes elements with probability p while training and scales survivors by 1/(1−p). */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p > 1) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return this.p === 0 || !this.training ? x : F.dropout(x, this.p, true);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Drops whole residual branches per sample (Huang et al. 2016, "Deep Networks with Stochastic
 * Depth"), as timm's `drop_path`: a `(N, 1, …)` Bernoulli(1−p) mask, scaled by 1/(1−p).
 */
export function dropPath(x: Tensor, p: number, training: boolean, scaleByKeep = true): Tensor {
  if (p === 0 || !training) return x;
  const keepProb = 1 - p;
  const shape = [x.shape[0], ...new Array<number>(x.dim() - 1).fill(1)];
  const mask = empty(shape, { dtype: x.dtype, device: x.device }).bernoulli_(keepProb);
  if (scaleByKeep && keepProb > 0) mask.div_(keepProb);
  const out = x.mul(mask);
  mask.dispose();
  return out;
}

export class DropPath extends Module {
  constructor(
    readonly p = 0,
    readonly scaleByKeep = true,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return dropPath(x, this.p, this.training, this.scaleByKeep);
  }
  override extraRepr(): string {
    return `drop_prob=${this.p.toFixed(3)}`;
  }
}
