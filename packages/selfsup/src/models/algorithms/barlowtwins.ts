/**
 * Barlow Twins, "Self-Supervised Learning via Redundancy Reduction" (Zbontar et al. 2021,
 * arXiv:2103.03230), as MMSelfSup's `BarlowTwins`: backbone → projector neck for both views, then
 * the head's cross-correlation matrix of the batch-normalised embeddings and its loss
 * Σ(1 − Cᵢᵢ)² + λΣ_{i≠j}Cᵢⱼ² (λ = 0.0051). Views `(N, C, H, W)`: `views[0]`, `views[1]`.
 * Keys: `backbone.*`, `neck.*`, `head.bn.*`. Logs the two terms when the loss is a
 * `CrossCorrelationLoss` (`loss_on_diag`, `loss_off_diag`, before λ).
 */
import { tidy } from '@selfsup/torch';
import { typed, z } from '../../engine/config/schema.js';
import { configOptions, HEADS, type TypedConfig } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { LatentCrossCorrelationHead } from '../heads/latent-cross-correlation-head.js';
import { CrossCorrelationLoss } from '../losses/cross-correlation.js';
import type { Neck } from '../necks/neck.js';
import '../necks/nonlinear-neck.js';
import { ALGORITHMS, Algorithm, type AlgorithmInput, type LossOutput } from './base.js';
import { buildAs, buildBackboneNeck, dataPreprocessorSchema, needViews, type AlgorithmConfigBase } from './parts.js';

export interface BarlowTwinsConfig extends AlgorithmConfigBase {
  /** A `LatentCrossCorrelationHead` (`{ type: 'LatentCrossCorrelationHead', inChannels: 8192 }`). */
  head: TypedConfig;
}

/** `BarlowTwins` options (everything but `type`). */
export const barlowTwinsSchema = z.strictObject({
  backbone: typed(),
  neck: typed(),
  head: typed(),
  dataPreprocessor: dataPreprocessorSchema(),
});

/** Barlow Twins (Zbontar et al. 2021): two views `(N, C, H, W)` → redundancy-reduction loss. */
export class BarlowTwins extends Algorithm {
  readonly backbone: Backbone;
  readonly neck: Neck;
  readonly head: LatentCrossCorrelationHead;

  constructor(cfg: BarlowTwinsConfig, path = 'model') {
    super(cfg.dataPreprocessor);
    const { backbone, neck } = buildBackboneNeck(cfg, path);
    this.backbone = this.registerModule('backbone', backbone);
    this.neck = this.registerModule('neck', neck);
    this.head = this.registerModule('head', buildAs(HEADS, cfg.head, `${path}.head`, LatentCrossCorrelationHead, 'BarlowTwins'));
  }

  /** Two views → the Barlow Twins loss. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 2, 'BarlowTwins');
    return tidy(() => {
      const [z1] = this.neck.forward(this.backbone.forward(this.preprocess(batch.views[0])));
      const [z2] = this.neck.forward(this.backbone.forward(this.preprocess(batch.views[1])));
      const c = this.head.crossCorrelation(z1, z2);
      const loss = this.head.loss.forward(c);
      const logs: Record<string, number> = {};
      if (this.head.loss instanceof CrossCorrelationLoss) {
        const t = this.head.loss.terms(c.detach());
        logs.loss_on_diag = t.onDiag.item();
        logs.loss_off_diag = t.offDiag.item();
      }
      return { loss, logs };
    });
  }
}

ALGORITHMS.register('BarlowTwins', (cfg, path) => new BarlowTwins(configOptions<BarlowTwinsConfig>(cfg), path), {
  schema: barlowTwinsSchema,
  description: 'Barlow Twins: cross-correlation of two views pushed to the identity (λ 0.0051)',
});
