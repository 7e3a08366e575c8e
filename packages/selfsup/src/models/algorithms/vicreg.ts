/**
 * VICReg, "Variance-Invariance-Covariance Regularization for Self-Supervised Learning" (Bardes,
 * Ponce & LeCun 2022, arXiv:2105.04906): backbone → expander neck for both views, then the
 * `VICRegHead`'s loss 25·invariance + 25·variance + 1·covariance. The paper's expander is a
 * 3-layer MLP of 8192 units (Linear-BN-ReLU ×2, then a bias-free Linear):
 * `{ type: 'NonLinearNeck', numLayers: 3, withBias: true, withLastBn: false, hidChannels: 8192, outChannels: 8192 }`.
 *
 * Views `(N, C, H, W)`: `views[0]`, `views[1]`. Keys: `backbone.*`, `neck.*`. Logs the three
 * unweighted terms (`loss_invariance`, `loss_variance`, `loss_covariance`).
 */
import { tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { typed, z } from '../../core/schema.js';
import { VICRegHead } from '../heads/vicreg-head.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import type { HeadConfig } from '../../part-configs.js';

/** `VICReg` options (everything but `type`). */
export const vicregSchema = z.strictObject({
  ...baseModelShape,
  /** The head. Default `{ type: 'VICRegHead' }` (VICRegLoss 25/25/1). */
  head: typed<HeadConfig>().optional(),
});
export type VICRegOptions = z.input<typeof vicregSchema>;

/** VICReg (Bardes et al. 2022): two views `(N, C, H, W)` → variance-invariance-covariance loss. */
export class VICReg extends BaseModel<VICRegHead> {
  constructor(o: VICRegOptions, path = 'model') {
    super({ ...o, head: o.head ?? { type: 'VICRegHead' } }, path, { head: VICRegHead });
  }

  /** Two views → the VICReg loss. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 2, 'VICReg');
    return tidy(() => {
      const [z1] = this.encode(this.preprocess(batch.views[0]));
      const [z2] = this.encode(this.preprocess(batch.views[1]));
      const t = this.head.terms(z1, z2);
      return {
        loss: t.loss,
        logs: { loss_invariance: t.sim.item(), loss_variance: t.std.item(), loss_covariance: t.cov.item() },
      };
    });
  }
}

export const vicregPart = definePart({
  registry: ALGORITHMS,
  name: 'VICReg',
  schema: vicregSchema,
  description: 'VICReg: invariance + variance + covariance regularisation of two views (25/25/1)',
  build: (o, path) => new VICReg(o, path),
});
