/**
 * Barlow Twins, "Self-Supervised Learning via Redundancy Reduction" (Zbontar et al. 2021,
 * arXiv:2103.03230), as MMSelfSup's `BarlowTwins`: backbone → projector neck for both views, then
 * the head's cross-correlation matrix of the batch-normalised embeddings and its loss
 * Σ(1 − Cᵢᵢ)² + λΣ_{i≠j}Cᵢⱼ² (λ = 0.0051). Views `(N, C, H, W)`: `views[0]`, `views[1]`.
 * Keys: `backbone.*`, `neck.*`, `head.bn.*`. Logs the two terms when the loss is a
 * `CrossCorrelationLoss` (`loss_on_diag`, `loss_off_diag`, before λ).
 */
import { tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import { LatentCrossCorrelationHead } from '../heads/latent-cross-correlation-head.js';
import { CrossCorrelationLoss } from '../losses/cross-correlation.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';

/**
 * `BarlowTwins` options (everything but `type`); the head is a `LatentCrossCorrelationHead`
 * (`{ type: 'LatentCrossCorrelationHead', inChannels: 8192 }`).
 */
export const barlowTwinsSchema = z.strictObject(baseModelShape);
export type BarlowTwinsOptions = z.input<typeof barlowTwinsSchema>;

/** Barlow Twins (Zbontar et al. 2021): two views `(N, C, H, W)` → redundancy-reduction loss. */
export class BarlowTwins extends BaseModel<LatentCrossCorrelationHead> {
  constructor(o: BarlowTwinsOptions, path = 'model') {
    super(o, path, { head: LatentCrossCorrelationHead });
  }

  /** Two views → the Barlow Twins loss. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 2, 'BarlowTwins');
    return tidy(() => {
      const [z1] = this.encode(this.preprocess(batch.views[0]));
      const [z2] = this.encode(this.preprocess(batch.views[1]));
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

export const barlowTwinsPart = definePart({
  registry: ALGORITHMS,
  name: 'BarlowTwins',
  schema: barlowTwinsSchema,
  description: 'Barlow Twins: cross-correlation of two views pushed to the identity (λ 0.0051)',
  build: (o, path) => new BarlowTwins(o, path),
});
