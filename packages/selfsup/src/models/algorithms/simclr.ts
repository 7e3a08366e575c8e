/**
 * SimCLR (Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual
 * Representations", arXiv:2002.05709), as MMSelfSup's `SimCLR`: both views go through the backbone
 * and the projector in one batch (so BN sees 2N images), and NT-Xent contrasts each projection
 * with its other view against every other projection of the (all-gathered) batch.
 *
 * Views are `(N, C, H, W)`. As in MMSelfSup, the configured head (a ContrastiveHead) computes the
 * loss from each projection's positive `(2N, 1)` and negatives `(2N, 2N·W)`, itself and its positive
 * at −∞ (`ntxentPairs`):
 * CE(cat(pos, neg)/τ, 0), which is NT-Xent. In W processes the negatives are gathered with their
 * gradient, so selfsup's gradient is that of the global loss (MMSelfSup's GatherLayer keeps only the
 * local slice's: W× smaller).
 * State-dict keys: `backbone.*`, `neck.*`.
 */
import * as torch from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import { ContrastiveHead } from '../heads/contrastive-head.js';
import { ntxentPairs } from '../losses/ntxent.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';

/**
 * `SimCLR` options (everything but `type`): the neck is normally a NonLinearNeck (2048 → 2048 →
 * 128, 2 layers, SyncBN), the head a ContrastiveHead (MMSelfSup: temperature 0.1).
 */
export const simclrSchema = z.strictObject(baseModelShape);
export type SimCLROptions = z.input<typeof simclrSchema>;

export class SimCLR extends BaseModel<ContrastiveHead> {
  constructor(o: SimCLROptions, path = 'model') {
    super(o, path, { head: ContrastiveHead });
  }

  /** NT-Xent of views 0 and 1, negatives gathered from every process. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 2, 'SimCLR');
    return torch.tidy(() => {
      const n = batch.views[0].shape[0];
      const x = torch.cat([this.preprocess(batch.views[0]), this.preprocess(batch.views[1])], 0);
      const [z] = this.encode(x);
      const { pos, neg } = ntxentPairs(z.narrow(0, 0, n), z.narrow(0, n, n), { gather: true });
      const loss = this.head.forward(pos, neg);
      return { loss, logs: { loss_contrastive: loss.item() } };
    });
  }
}

export const simclrPart = definePart({
  registry: ALGORITHMS,
  name: 'SimCLR',
  schema: simclrSchema,
  description: 'SimCLR: NT-Xent between two views, negatives from the whole (gathered) batch',
  build: (o, path) => new SimCLR(o, path),
});
