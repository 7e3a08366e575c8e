/**
 * SwAV, "Unsupervised Learning of Visual Features by Contrasting Cluster Assignments" (Caron et al.
 * 2020, arXiv:2006.09882), as MMSelfSup's `SwAV`: multi-crop views (2 large + N small), the
 * backbone run once per resolution group, the `SwAVNeck` projection (L2-normalised) of every crop,
 * and the `SwAVHead`'s swapped prediction of Sinkhorn–Knopp codes against normalised prototypes.
 *
 * Views `(N, C, H, W)` in the order the head's `numCrops` describes (`[2, 6]`: 2 large then 6 small).
 * `progress` drives the prototypes' freezing (`freezePrototypesIters`) and the queue
 * (`queueLength`, from `epochQueueStarts`), both options of the head's `SwAVLoss`, so no hook is
 * needed. Keys: `backbone.*`, `neck.projection_neck.*`, `head.loss.prototypes.weight`,
 * `head.loss.queue` (with a queue).
 */
import { tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import { SwAVHead } from '../heads/swav-head.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput } from './base.js';
import { multiCropFeatures } from './multi-crop.js';
import type { TrainProgress } from '../../core/progress.js';

/** `SwAV` options (everything but `type`); the head is a `SwAVHead` holding the `SwAVLoss` config. */
export const swavSchema = z.strictObject(baseModelShape);
export type SwAVOptions = z.input<typeof swavSchema>;

/** SwAV (Caron et al. 2020): multi-crop views `(N, C, H, W)` → swapped-prediction loss. */
export class SwAV extends BaseModel<SwAVHead> {
  constructor(o: SwAVOptions, path = 'model') {
    super(o, path, { head: SwAVHead });
  }

  /** All crops → the SwAV loss. */
  loss(batch: AlgorithmInput, progress?: TrainProgress): LossOutput {
    const crops = this.head.loss.totalCrops;
    if (batch.views.length !== crops)
      throw new RangeError(`SwAV: the head expects ${crops} crops (numCrops), got ${batch.views.length} views`);
    return tidy(() => {
      const views = batch.views.map((v) => this.preprocess(v));
      const [embeddings] = this.neck.forward(multiCropFeatures(this.backbone, views));
      const loss = this.head.forward(embeddings, progress);
      return { loss, logs: {} };
    });
  }
}

export const swavPart = definePart({
  registry: ALGORITHMS,
  name: 'SwAV',
  schema: swavSchema,
  description: 'SwAV: multi-crop swapped prediction of Sinkhorn cluster codes',
  build: (o, path) => new SwAV(o, path),
});
