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
import { typed, z } from '../../engine/config/schema.js';
import { configOptions, HEADS, type TypedConfig } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { SwAVHead } from '../heads/swav-head.js';
import type { Neck } from '../necks/neck.js';
import '../necks/swav-neck.js';
import { ALGORITHMS, Algorithm, type AlgorithmInput, type LossOutput, type TrainProgress } from './base.js';
import { multiCropFeatures } from './multi-crop.js';
import { buildAs, buildBackboneNeck, dataPreprocessorSchema, type AlgorithmConfigBase } from './parts.js';

export interface SwAVConfig extends AlgorithmConfigBase {
  /** A `SwAVHead` holding the `SwAVLoss` config. */
  head: TypedConfig;
}

/** `SwAV` options (everything but `type`). */
export const swavSchema = z.strictObject({
  backbone: typed(),
  neck: typed(),
  head: typed(),
  dataPreprocessor: dataPreprocessorSchema(),
});

/** SwAV (Caron et al. 2020): multi-crop views `(N, C, H, W)` → swapped-prediction loss. */
export class SwAV extends Algorithm {
  readonly backbone: Backbone;
  readonly neck: Neck;
  readonly head: SwAVHead;

  constructor(cfg: SwAVConfig, path = 'model') {
    super(cfg.dataPreprocessor);
    const { backbone, neck } = buildBackboneNeck(cfg, path);
    this.backbone = this.registerModule('backbone', backbone);
    this.neck = this.registerModule('neck', neck);
    this.head = this.registerModule('head', buildAs(HEADS, cfg.head, `${path}.head`, SwAVHead, 'SwAV'));
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

ALGORITHMS.register('SwAV', (cfg, path) => new SwAV(configOptions<SwAVConfig>(cfg), path), {
  schema: swavSchema,
  description: 'SwAV: multi-crop swapped prediction of Sinkhorn cluster codes',
});
