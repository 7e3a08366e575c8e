/**
 * A new transform as a user module: torchvision's `RandomInvert` (x → 255 − x with probability
 * `prob`) on uint8 images `(C, H, W)`, per image and on a batch `(N, C, H, W)`, each image drawing
 * its coin from its own seeded stream so both paths give the same pixels.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { type data, definePart, prob, TRANSFORMS, z } from 'selfsup';

export class RandomInvert implements data.Transform {
  constructor(readonly prob = 0.5) {}

  apply(img: Tensor, rng: data.Rng): Tensor {
    return rng.random() < this.prob ? torch.tidy(() => img.neg().add(255).to({ dtype: img.dtype })) : img;
  }

  applyBatch(batch: Tensor, rngs: data.Rng[]): Tensor {
    return torch.tidy(() => {
      const flip = torch.tensor(
        rngs.map((r) => (r.random() < this.prob ? 1 : 0)),
        { dtype: 'bool' },
      );
      const inverted = batch.neg().add(255).to({ dtype: batch.dtype });
      return torch.where(flip.view([-1, 1, 1, 1]), inverted, batch);
    });
  }
}

export const randomInvertPart = definePart({
  registry: TRANSFORMS,
  name: 'RandomInvert',
  schema: z.strictObject({
    /** Probability of inverting. Default 0.5. */
    prob: prob().optional(),
  }),
  description: "inverts the colours with probability prob (torchvision's RandomInvert)",
  build: (o) => new RandomInvert(o.prob ?? 0.5),
});

TRANSFORMS.register(randomInvertPart);
