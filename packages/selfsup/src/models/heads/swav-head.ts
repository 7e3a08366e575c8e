/**
 * MMSelfSup's `SwAVHead` (Caron et al. 2020, arXiv:2006.09882): holds the SwAV loss, whose
 * prototypes, Sinkhorn–Knopp codes and queue live in it (`loss.prototypes.weight`, `loss.queue`).
 * Input: every crop's L2-normalised embeddings stacked crop by crop `(Σ numCrops · N, featDim)`.
 */
import { nn, type Tensor } from '@selfsup/torch';
import { typed, z } from '../../engine/config/schema.js';
import { ConfigError } from '../../engine/config/schema.js';
import { configOptions, HEADS, LOSSES, type TypedConfig } from '../../registry.js';
import type { TrainProgress } from '../algorithms/base.js';
import { SwAVLoss } from '../losses/swav.js';

export interface SwAVHeadOptions {
  /** The loss, `{ type: 'SwAVLoss', featDim: 128, numCrops: [2, 6], … }`. */
  loss: TypedConfig;
}

/** `SwAVHead` options (everything but `type`). */
export const swavHeadSchema = z.strictObject({ loss: typed() });

/** SwAV head (Caron et al. 2020): `(Σ crops · N, featDim)` → 0-d loss through its `SwAVLoss`. */
export class SwAVHead extends nn.Module<[Tensor, TrainProgress?], Tensor> {
  readonly loss: SwAVLoss;

  constructor(opts: SwAVHeadOptions, path = 'head') {
    super();
    const loss = LOSSES.build(opts.loss, `${path}.loss`) as unknown;
    if (!(loss instanceof SwAVLoss))
      throw new ConfigError(`${path}.loss.type`, `SwAVHead needs a SwAVLoss (or a subclass), got '${opts.loss.type}'`);
    this.loss = this.registerModule('loss', loss);
  }

  /** `(Σ numCrops · N, featDim)` embeddings → the 0-d loss (`progress` drives freezing and the queue). */
  forward(x: Tensor, progress?: TrainProgress): Tensor {
    return this.loss.forward(x, progress);
  }
}

HEADS.register('SwAVHead', (cfg, path) => new SwAVHead(configOptions<SwAVHeadOptions>(cfg), path) as unknown as nn.Module, {
  schema: swavHeadSchema,
  description: 'SwAV: wraps SwAVLoss (prototypes, Sinkhorn codes, queue)',
});
