/**
 * SimCLR (Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual
 * Representations", arXiv:2002.05709), as MMSelfSup's `SimCLR`: both views go through the backbone
 * and the projector in one batch (so BN sees 2N images), and NT-Xent contrasts each projection
 * with its other view against every other projection of the (all-gathered) batch.
 *
 * Views are `(N, C, H, W)`. The head is a ContrastiveHead whose temperature NT-Xent uses: its
 * CE(cat(pos, neg)/τ, 0) over the similarity matrix without the diagonal is exactly `ntxentLoss`,
 * which is computed without materialising the (2N, 2N−2) negative matrix.
 * State-dict keys: `backbone.*`, `neck.*`.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { typed, z } from '../../engine/config/schema.js';
import { BACKBONES, configOptions, type TypedConfig, HEADS } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { ContrastiveHead } from '../heads/contrastive-head.js';
import { ntxentLoss } from '../losses/ntxent.js';
import { buildNeck, type Neck } from '../necks/neck.js';
import { ALGORITHMS, Algorithm, type AlgorithmInput, type DataPreprocessorOptions, type LossOutput } from './base.js';
import { buildAs, dataPreprocessorSchema } from './parts.js';

export interface SimCLROptions {
  backbone: TypedConfig;
  /** Normally a NonLinearNeck (2048 → 2048 → 128, 2 layers, SyncBN). */
  neck: TypedConfig;
  /** A ContrastiveHead (MMSelfSup: temperature 0.1). */
  head: TypedConfig;
  dataPreprocessor?: DataPreprocessorOptions;
}

export const simclrSchema = z.strictObject({
  backbone: typed(),
  neck: typed(),
  head: typed(),
  dataPreprocessor: dataPreprocessorSchema(),
});

export class SimCLR extends Algorithm {
  readonly backbone: Backbone;
  readonly neck: Neck;
  readonly head: ContrastiveHead;

  constructor(opts: SimCLROptions, path = 'model') {
    super(opts.dataPreprocessor);
    this.backbone = this.registerModule('backbone', BACKBONES.build(opts.backbone, `${path}.backbone`));
    this.neck = this.registerModule('neck', buildNeck(opts.neck, `${path}.neck`));
    this.head = this.registerModule('head', buildAs(HEADS, opts.head, `${path}.head`, ContrastiveHead, 'SimCLR'));
  }

  /** NT-Xent of views 0 and 1, negatives gathered from every process. */
  loss(batch: AlgorithmInput): LossOutput {
    if (batch.views.length < 2) throw new RangeError(`SimCLR: needs 2 views, got ${batch.views.length}`);
    return torch.tidy(() => {
      const n = batch.views[0].shape[0];
      const x = torch.cat([this.preprocess(batch.views[0]), this.preprocess(batch.views[1])], 0);
      const z: Tensor = this.neck.forward(this.backbone.forward(x))[0];
      const loss = ntxentLoss(z.narrow(0, 0, n), z.narrow(0, n, n), { temperature: this.head.temperature, gather: true });
      return { loss, logs: { loss_contrastive: loss.item() } };
    });
  }
}

ALGORITHMS.register('SimCLR', (cfg, path) => new SimCLR(configOptions<SimCLROptions>(cfg), path), {
  schema: simclrSchema,
  description: 'SimCLR: NT-Xent between two views, negatives from the whole (gathered) batch',
});
