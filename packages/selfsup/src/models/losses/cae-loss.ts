/**
 * MMSelfSup's `CAELoss` (Chen et al. 2022, "Context Autoencoder for Self-Supervised Representation
 * Learning", arXiv:2202.03026): the main loss, the mean cross-entropy of the decoder's visual-token
 * logits `(M, V)` against the tokenizer's ids `(M)`, and the alignment loss, λ · the mean squared
 * error between the regressor's latent prediction and the teacher's (detached) latent of the masked
 * patches, both `(N, m, C)`.
 */
import * as torch from '@selfsup/torch';
import { F, nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { nonNegNum, z } from '../../core/schema.js';
import { LOSSES } from '../registries.js';

export const caeLossSchema = z.strictObject({
  /** λ, the alignment loss's weight (MMSelfSup's `lambd`; its configs use 2). */
  lambd: nonNegNum(),
});
export type CAELossOptions = z.input<typeof caeLossSchema>;

export class CAELoss extends nn.Module<[Tensor, Tensor, Tensor, Tensor], Tensor> {
  readonly lambd: number;

  constructor(o: CAELossOptions) {
    super();
    this.lambd = o.lambd;
  }

  /** `[main, align]`: CE(logits, target) and λ·MSE(latentPred, latentTarget). */
  terms(logits: Tensor, target: Tensor, latentPred: Tensor, latentTarget: Tensor): [Tensor, Tensor] {
    if (logits.dim() !== 2 || target.dim() !== 1 || target.shape[0] !== logits.shape[0])
      throw new RangeError(`CAELoss: expected logits (M, V) and ids (M), got [${logits.shape}] and [${target.shape}]`);
    if (latentPred.shape.join() !== latentTarget.shape.join())
      throw new RangeError(`CAELoss: latent prediction [${latentPred.shape}] and target [${latentTarget.shape}] differ`);
    return torch.tidy(() => [F.crossEntropy(logits, target), F.mseLoss(latentPred, latentTarget.detach()).mul(this.lambd)]);
  }

  /** The sum of the two terms. */
  forward(logits: Tensor, target: Tensor, latentPred: Tensor, latentTarget: Tensor): Tensor {
    return torch.tidy(() => {
      const [a, b] = this.terms(logits, target, latentPred, latentTarget);
      return a.add(b);
    });
  }
}

export const caeLossPart = definePart({
  registry: LOSSES,
  name: 'CAELoss',
  schema: caeLossSchema,
  description: 'CAE: cross-entropy on visual tokens plus lambd x MSE alignment of latent predictions',
  build: (o) => new CAELoss(o),
});
