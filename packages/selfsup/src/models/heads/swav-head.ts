/**
 * MMSelfSup's `SwAVHead` (Caron et al. 2020, arXiv:2006.09882): holds the SwAV loss, whose
 * prototypes, Sinkhorn–Knopp codes and queue live in it (`loss.prototypes.weight`, `loss.queue`).
 * Input: every crop's L2-normalised embeddings stacked crop by crop `(Σ numCrops · N, featDim)`.
 */
import { nn, type Tensor } from '@selfsup/torch';
import { typed, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { SwAVLoss } from '../losses/swav.js';
import { HEADS, LOSSES } from '../registries.js';
import type { TrainProgress } from '../../core/progress.js';
import type { LossConfig } from '../../part-configs.js';

/** `SwAVHead` options (everything but `type`). */
export const swavHeadSchema = z.strictObject({
  /** The loss, `{ type: 'SwAVLoss', featDim: 128, numCrops: [2, 6], … }`. */
  loss: typed<LossConfig>(),
});

export type SwAVHeadOptions = z.input<typeof swavHeadSchema>;

/** SwAV head (Caron et al. 2020): `(Σ crops · N, featDim)` → 0-d loss through its `SwAVLoss`. */
export class SwAVHead extends nn.Module<[Tensor, TrainProgress?], Tensor> {
  readonly loss: SwAVLoss;

  constructor(opts: SwAVHeadOptions, path = 'head') {
    super();
    this.loss = this.registerModule('loss', LOSSES.buildAs(opts.loss, `${path}.loss`, SwAVLoss, 'SwAVHead'));
  }

  /** `(Σ numCrops · N, featDim)` embeddings → the 0-d loss (`progress` drives freezing and the queue). */
  forward(x: Tensor, progress?: TrainProgress): Tensor {
    return this.loss.forward(x, progress);
  }
}

/** `SwAVHead` in HEADS; its loss is built from LOSSES and must be a `SwAVLoss`. */
export const swavHeadPart = definePart({
  registry: HEADS,
  name: 'SwAVHead',
  schema: swavHeadSchema,
  description: 'SwAV: wraps SwAVLoss (prototypes, Sinkhorn codes, queue)',
  build: (o, path) => new SwAVHead(o, path),
});
