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
import { typed, z } from '../../engine/config/schema.js';
import { configOptions, HEADS, type TypedConfig } from '../../registry.js';
import type { Backbone } from '../backbones/base.js';
import { VICRegHead } from '../heads/vicreg-head.js';
import type { Neck } from '../necks/neck.js';
import '../necks/nonlinear-neck.js';
import { ALGORITHMS, Algorithm, type AlgorithmInput, type LossOutput } from './base.js';
import { buildAs, buildBackboneNeck, dataPreprocessorSchema, needViews, type AlgorithmConfigBase } from './parts.js';

export interface VICRegConfig extends AlgorithmConfigBase {
  /** The head. Default `{ type: 'VICRegHead' }` (VICRegLoss 25/25/1). */
  head?: TypedConfig;
}

/** `VICReg` options (everything but `type`). */
export const vicregSchema = z.strictObject({
  backbone: typed(),
  neck: typed(),
  head: typed().optional(),
  dataPreprocessor: dataPreprocessorSchema(),
});

/** VICReg (Bardes et al. 2022): two views `(N, C, H, W)` → variance-invariance-covariance loss. */
export class VICReg extends Algorithm {
  readonly backbone: Backbone;
  readonly neck: Neck;
  readonly head: VICRegHead;

  constructor(cfg: VICRegConfig, path = 'model') {
    super(cfg.dataPreprocessor);
    const { backbone, neck } = buildBackboneNeck(cfg, path);
    this.backbone = this.registerModule('backbone', backbone);
    this.neck = this.registerModule('neck', neck);
    this.head = this.registerModule(
      'head',
      buildAs(HEADS, cfg.head ?? { type: 'VICRegHead' }, `${path}.head`, VICRegHead, 'VICReg'),
    );
  }

  /** Two views → the VICReg loss. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 2, 'VICReg');
    return tidy(() => {
      const [z1] = this.neck.forward(this.backbone.forward(this.preprocess(batch.views[0])));
      const [z2] = this.neck.forward(this.backbone.forward(this.preprocess(batch.views[1])));
      const t = this.head.terms(z1, z2);
      return {
        loss: t.loss,
        logs: { loss_invariance: t.sim.item(), loss_variance: t.std.item(), loss_covariance: t.cov.item() },
      };
    });
  }
}

ALGORITHMS.register('VICReg', (cfg, path) => new VICReg(configOptions<VICRegConfig>(cfg), path), {
  schema: vicregSchema,
  description: 'VICReg: invariance + variance + covariance regularisation of two views (25/25/1)',
});
