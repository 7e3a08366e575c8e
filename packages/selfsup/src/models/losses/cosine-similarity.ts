/**
 * MMSelfSup's `CosineSimilarityLoss`: the negative cosine similarity of BYOL (Grill et al. 2020,
 * arXiv:2006.07733) and SimSiam (Chen & He 2021, arXiv:2011.10566), with MILAN/EVA's shift and
 * scale:
 *
 *   ℓᵢ = shift − scale · ⟨pᵢ/‖pᵢ‖, tᵢ/‖tᵢ‖⟩,   loss = mean ℓᵢ (or Σ ℓᵢ·mᵢ / Σ mᵢ with a mask).
 *
 * Inputs `(N, C)` (or `(N, L, C)` tokens, compared along the last dim); the target is used as given
 * (the caller detaches it for a stop-gradient).
 */
import { F, nn, type Tensor, tidy } from '@selfsup/torch';
import { num, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { LOSSES } from '../registries.js';

/** `CosineSimilarityLoss` options (everything but `type`). */
export const cosineSimilarityLossSchema = z.strictObject({
  /** Added to every term (2 with scale 2 gives BYOL's `2 − 2cos`). Default 0. */
  shiftFactor: num().optional(),
  /** Multiplies the cosine. Default 1. */
  scaleFactor: num().optional(),
});

export type CosineSimilarityLossOptions = z.input<typeof cosineSimilarityLossSchema>;

/** Negative cosine similarity (BYOL, SimSiam): `(N, C)` prediction and target → 0-d loss. */
export class CosineSimilarityLoss extends nn.Module<[Tensor, Tensor, (Tensor | null)?], Tensor> {
  readonly shiftFactor: number;
  readonly scaleFactor: number;

  constructor(opts: CosineSimilarityLossOptions = {}) {
    super();
    this.shiftFactor = opts.shiftFactor ?? 0;
    this.scaleFactor = opts.scaleFactor ?? 1;
  }

  /** `pred`, `target` `(…, C)`; `mask` (the leading dims, 0/1) selects the terms averaged. Returns a 0-d loss. */
  forward(pred: Tensor, target: Tensor, mask: Tensor | null = null): Tensor {
    return tidy(() => {
      const cos = F.normalize(pred, { dim: -1 })
        .mul(F.normalize(target, { dim: -1 }))
        .sum(-1);
      const terms = cos.mul(-this.scaleFactor).add(this.shiftFactor);
      if (!mask) return terms.mean();
      const m = mask.to(terms.dtype);
      return terms.mul(m).sum().div(m.sum());
    });
  }

  override extraRepr(): string {
    return `shift_factor=${this.shiftFactor}, scale_factor=${this.scaleFactor}`;
  }
}

/** `CosineSimilarityLoss` in LOSSES. */
export const cosineSimilarityLossPart = definePart({
  registry: LOSSES,
  name: 'CosineSimilarityLoss',
  schema: cosineSimilarityLossSchema,
  description: 'shift − scale·cos(pred, target), averaged (BYOL, SimSiam)',
  build: (o) => new CosineSimilarityLoss(o),
});
