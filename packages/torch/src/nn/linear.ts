/** Linear, Identity and Flatten. */
import { empty } from '../creation.js';
import * as F from '../functional.js';
import type { Tensor } from '../tensor.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from './init.js';
import { Module } from './module.js';

/** y = x Wᵀ + b on the last dim: `(*, in)` → `(*, out)`. Weight `(out, in)`, PyTorch's default init. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean } = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', empty([outFeatures, inFeatures]));
    this.bias = this.registerParameter('bias', opts.bias === false ? null : empty([outFeatures]));
    this.resetParameters();
  }

  /** Kaiming-uniform with a = √5 (bound 1/√fan_in) for the weight, U(±1/√fan_in) for the bias. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

/** Returns its input: stands in for a removed layer without changing other state-dict keys. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims `startDim..endDim` (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
