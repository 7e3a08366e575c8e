/**
 * MMSelfSup's `SimMIMHead` (SimMIM, Xie et al. 2022, arXiv:2111.09886): the patch mask `(N, h, w)`
 * (1 = masked) is spread to pixels, each entry repeated `patchSize` times along both axes, giving
 * `(N, 1, h·patchSize, w·patchSize)`; the loss (SimMIM's `PixelReconstructionLoss`, L1 with
 * `channel: 3`) then compares the reconstruction with the target image on the masked pixels only.
 *
 * Inputs: the reconstruction and the target, both `(N, C, H, W)`, and the mask with
 * `h·patchSize = H`, `w·patchSize = W`. The head has no parameters (no state-dict keys).
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, typed, z } from '../../core/schema.js';
import type { LossConfig } from '../../part-configs.js';
import { HEADS, LOSSES, type LossModule } from '../registries.js';

/** `SimMIMHead` options (everything but `type`). */
export const simmimHeadSchema = z.strictObject({
  /** Pixels per mask entry: the backbone's patch size (Swin: 4). */
  patchSize: posInt(),
  /** The reconstruction loss (`{ type: 'PixelReconstructionLoss', criterion: 'L1', channel: 3 }`). */
  loss: typed<LossConfig>(),
});

export type SimMIMHeadOptions = z.input<typeof simmimHeadSchema>;

/** Upsamples the patch mask to pixels and applies the loss: `(N, C, H, W)`, `(N, C, H, W)`, `(N, h, w)` → 0-d. */
export class SimMIMHead extends nn.Module<[Tensor, Tensor, Tensor], Tensor> {
  readonly patchSize: number;
  readonly loss: LossModule;

  constructor(o: SimMIMHeadOptions, path = 'head') {
    super();
    this.patchSize = o.patchSize;
    this.loss = this.registerModule('loss', LOSSES.build(o.loss, `${path}.loss`));
  }

  /** The `(N, h, w)` patch mask as an `(N, 1, h·p, w·p)` pixel mask. */
  pixelMask(mask: Tensor): Tensor {
    const p = this.patchSize;
    return tidy(() => mask.repeatInterleave(p, 1).repeatInterleave(p, 2).unsqueeze(1).contiguous());
  }

  /** Reconstruction `pred` and `target` `(N, C, H, W)`, patch `mask` `(N, h, w)` → the 0-d loss. */
  forward(pred: Tensor, target: Tensor, mask: Tensor): Tensor {
    const p = this.patchSize;
    const [n, , hh, ww] = pred.shape;
    if (pred.dim() !== 4 || mask.dim() !== 3 || mask.shape[0] !== n || mask.shape[1] * p !== hh || mask.shape[2] * p !== ww)
      throw new RangeError(
        `SimMIMHead: a (N, h, w) mask times patchSize ${p} must cover the (N, C, H, W) reconstruction; ` +
          `got mask [${mask.shape}] for [${pred.shape}]`,
      );
    return tidy(() => this.loss.forward(pred, target, this.pixelMask(mask)));
  }

  override extraRepr(): string {
    return `patch_size=${this.patchSize}`;
  }
}

/** `SimMIMHead` in HEADS; its loss is built from LOSSES. */
export const simmimHeadPart = definePart({
  registry: HEADS,
  name: 'SimMIMHead',
  schema: simmimHeadSchema,
  description: "SimMIM's head: the patch mask spread to pixels, a masked reconstruction loss (L1)",
  build: (o, path) => new SimMIMHead(o, path),
});
