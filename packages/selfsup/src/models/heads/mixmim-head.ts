/**
 * MMSelfSup's `MixMIMPretrainHead` (Liu et al. 2022, "MixMIM: Mixed and Masked Image Modeling",
 * arXiv:2205.13137): the decoder's two halves are unmixed back into one prediction per image —
 * image i's own half where its tokens were replaced (mask 1), the other half's row N−1−i elsewhere,
 * which is where image i sat inside image N−1−i's input — and every cell is regressed:
 *
 *   ŷ_i = x1_i·m + x2_{N−1−i}·(1 − m),   L = mean over cells of criterion(ŷ, target),
 *
 * with MAE's target (`MAEPretrainHead.constructTarget`: patches of `patchSize` = the encoder stride,
 * normalised per patch with `normPix`). Shapes: prediction `(2N, L, p²·C)`, images `(N, C, H, W)`,
 * mask `(1, L)`. No parameters.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { HEADS } from '../registries.js';
import { MAEPretrainHead, type MAEPretrainHeadOptions, maePretrainHeadSchema } from './mae-pretrain-head.js';

/** MixMIM's unmixing reconstruction loss; `patchSize` defaults to 32 (MixMIM-B's encoder stride). */
export class MixMIMPretrainHead extends MAEPretrainHead {
  constructor(o: MAEPretrainHeadOptions = {}, path = 'head') {
    super({ patchSize: 32, ...o }, path);
  }

  /** The `(N, L, p²·C)` prediction of each image from the decoder's `(2N, L, p²·C)` output and the `(1, L)` mask. */
  unmix(pred: Tensor, mask: Tensor): Tensor {
    const [b2, l] = pred.shape;
    if (b2 % 2 !== 0)
      throw new RangeError(`MixMIMPretrainHead: expected the decoder's two halves (2N, L, D), got [${pred.shape}]`);
    return torch.tidy(() => {
      const n = b2 / 2;
      const m = mask.reshape(1, l, 1).to(pred.dtype);
      return pred
        .narrow(0, 0, n)
        .mul(m)
        .add(pred.narrow(0, n, n).flip([0]).mul(m.rsub(1)));
    });
  }

  /** Prediction `(2N, L, p²·C)`, preprocessed images `(N, C, H, W)`, mask `(1, L)` → the loss over every cell. */
  override forward(pred: Tensor, images: Tensor, mask: Tensor): Tensor {
    return torch.tidy(() => {
      const target = this.constructTarget(images);
      const rec = this.unmix(pred, mask);
      // Every cell counts (MMSelfSup calls the loss without a mask, which averages everything).
      return this.loss.forward(rec, target, torch.ones(target.shape.slice(0, 2), { dtype: rec.dtype, device: rec.device }));
    });
  }
}

/** `MixMIMPretrainHead` in HEADS; its loss is built from LOSSES. */
export const mixmimPretrainHeadPart = definePart({
  registry: HEADS,
  name: 'MixMIMPretrainHead',
  schema: maePretrainHeadSchema,
  description: "MixMIM: unmix the decoder's two halves, regress every cell's (normalised) pixels",
  build: (o, path) => new MixMIMPretrainHead(o, path),
});
