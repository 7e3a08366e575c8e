/**
 * MMSelfSup's `MAEPretrainHead` (He et al. 2022, "Masked Autoencoders Are Scalable Vision
 * Learners"): the target is the preprocessed image cut into patches, each optionally normalised by
 * its own mean and (unbiased) variance (`normPix`, MAE's default: the better representation), and a
 * loss (default `PixelReconstructionLoss` L2) compares it with the decoder's prediction on the
 * removed patches only.
 *
 * Shapes: prediction `(N, L, p²·C)`, images `(N, C, H, W)` with H, W multiples of p, mask `(N, L)`
 * (1 = removed). Patches are laid out as MAE's `patchify`: row-major over the grid, each patch
 * `(p, p, C)` flattened (channel last). The head has no parameters.
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, posInt, typed, z } from '../../core/schema.js';
import type { LossConfig } from '../../part-configs.js';
import { HEADS, LOSSES, type LossModule } from '../registries.js';

/** `MAEPretrainHead` options (everything but `type`). */
export const maePretrainHeadSchema = z.strictObject({
  /** Normalise each target patch by its mean and standard deviation. Default false (MMSelfSup's configs: true). */
  normPix: bool().optional(),
  patchSize: posInt().optional(),
  inChannels: posInt().optional(),
  /** Default `{ type: 'PixelReconstructionLoss', criterion: 'L2' }`. */
  loss: typed<LossConfig>().optional(),
});

export type MAEPretrainHeadOptions = z.input<typeof maePretrainHeadSchema>;

/** `(N, C, H, W)` → `(N, (H/p)·(W/p), p²·C)`: MAE's `patchify` (row-major grid, channel-last patches). */
export function patchify(images: Tensor, p: number): Tensor {
  const [n, c, h, w] = images.shape;
  if (images.dim() !== 4 || h % p !== 0 || w % p !== 0)
    throw new RangeError(`patchify: expected (N, C, H, W) with H and W multiples of ${p}, got [${images.shape}]`);
  return tidy(() =>
    images
      .reshape(n, c, h / p, p, w / p, p)
      .permute(0, 2, 4, 3, 5, 1)
      .reshape(n, (h / p) * (w / p), p * p * c),
  );
}

/** The inverse of `patchify`: `(N, gh·gw, p²·C)` → `(N, C, gh·p, gw·p)`. */
export function unpatchify(patches: Tensor, p: number, grid: [number, number], channels = 3): Tensor {
  const [n, l, d] = patches.shape;
  const [gh, gw] = grid;
  if (patches.dim() !== 3 || l !== gh * gw || d !== p * p * channels)
    throw new RangeError(`unpatchify: [${patches.shape}] is not ${gh}×${gw} patches of ${p}×${p}×${channels}`);
  return tidy(() =>
    patches
      .reshape(n, gh, gw, p, p, channels)
      .permute(0, 5, 1, 3, 2, 4)
      .reshape(n, channels, gh * p, gw * p),
  );
}

/** MAE's pixel target and masked loss: prediction `(N, L, p²·C)`, images `(N, C, H, W)`, mask `(N, L)` → 0-d loss. */
export class MAEPretrainHead extends nn.Module<[Tensor, Tensor, Tensor], Tensor> {
  readonly normPix: boolean;
  readonly patchSize: number;
  readonly inChannels: number;
  readonly loss: LossModule;

  constructor(o: MAEPretrainHeadOptions = {}, path = 'head') {
    super();
    this.normPix = o.normPix ?? false;
    this.patchSize = o.patchSize ?? 16;
    this.inChannels = o.inChannels ?? 3;
    this.loss = this.registerModule(
      'loss',
      LOSSES.build(o.loss ?? { type: 'PixelReconstructionLoss', criterion: 'L2' }, `${path}.loss`),
    );
  }

  /** The regression target of preprocessed images `(N, C, H, W)`: `(N, L, p²·C)` patches, normalised per patch with `normPix`. */
  constructTarget(images: Tensor): Tensor {
    if (images.shape[1] !== this.inChannels)
      throw new RangeError(`MAEPretrainHead: expected ${this.inChannels}-channel images, got [${images.shape}]`);
    return tidy(() => {
      const target = patchify(images, this.patchSize);
      if (!this.normPix) return target;
      const mean = target.mean(-1, { keepdim: true });
      const variance = target.var(-1, { keepdim: true, correction: 1 });
      return target.sub(mean).div(variance.add(1e-6).sqrt());
    });
  }

  /** Prediction `(N, L, p²·C)`, preprocessed images `(N, C, H, W)`, mask `(N, L)` (1 = removed) → the loss. */
  forward(pred: Tensor, images: Tensor, mask: Tensor): Tensor {
    return tidy(() => this.loss.forward(pred, this.constructTarget(images), mask));
  }

  override extraRepr(): string {
    return `norm_pix=${this.normPix}, patch_size=${this.patchSize}`;
  }
}

/** `MAEPretrainHead` in HEADS; its loss is built from LOSSES. */
export const maePretrainHeadPart = definePart({
  registry: HEADS,
  name: 'MAEPretrainHead',
  schema: maePretrainHeadSchema,
  description: 'MAE: (per-patch normalised) pixel target, masked reconstruction loss',
  build: (o, path) => new MAEPretrainHead(o, path),
});
