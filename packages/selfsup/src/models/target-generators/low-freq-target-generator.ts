/**
 * PixMIM's low-frequency target (Liu et al. 2023, "PixMIM: Rethinking Pixel Reconstruction in
 * Masked Image Modeling", arXiv:2303.02416), MMSelfSup's `LowFreqTargetGenerator`: preprocessed
 * images are mapped back to [0, 1] pixels, their 2-D spectrum (centred by fftshift) is multiplied
 * by an ideal circular low-pass filter of `radius` (frequency bins kept where
 * (i − (h−1)/2)² + (j − (w−1)/2)² ≤ r²), transformed back, and the magnitude renormalised:
 *
 *   target = (|ifft2(fftshift(fft2(x·σ + μ)) · H)| − μ) / σ.
 *
 * As MMSelfSup, the filtered spectrum is not shifted back before the inverse transform: for even
 * sizes that only multiplies the result by (−1)^(x+y), which the magnitude removes. Shapes:
 * `(N, C, H, W)` → `(N, C, H, W)`, no gradient.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { num, posInt, posNum, z } from '../../core/schema.js';
import { pairSchema } from '../backbones/vit.js';
import { TARGET_GENERATORS } from '../registries.js';

/** `LowFreqTargetGenerator` options (everything but `type`). */
export const lowFreqTargetGeneratorSchema = z.strictObject({
  /** Radius of the ideal low-pass filter in frequency bins (PixMIM at 224 px: 40). */
  radius: posNum(),
  /** The `[height, width]` of the images (the filter's size). */
  imgSize: pairSchema(),
  /**
   * Per-channel statistics of the preprocessing in 0–255 units (the algorithm passes its own;
   * MMSelfSup hard-codes ImageNet's, which its recipes also preprocess with).
   */
  mean: z.array(num()).optional(),
  std: z.array(posNum()).optional(),
  /** Channels of the images. Default 3. */
  channels: posInt().optional(),
});

export type LowFreqTargetGeneratorOptions = z.input<typeof lowFreqTargetGeneratorSchema>;

/** Ideal circular low-pass filtering of preprocessed `(N, C, H, W)` images (PixMIM's target). */
export class LowFreqTargetGenerator extends nn.Module<[Tensor], Tensor> {
  readonly radius: number;
  readonly imgSize: [number, number];
  /** `(C, H, W)` 0/1, 1 where a (centred) frequency passes. A non-persistent buffer: MMSelfSup keeps it, but it is a function of the options. */
  readonly lowPassFilter: Tensor;
  private readonly mean: Tensor;
  private readonly std: Tensor;

  constructor(o: LowFreqTargetGeneratorOptions) {
    super();
    this.radius = o.radius;
    this.imgSize = typeof o.imgSize === 'number' ? [o.imgSize, o.imgSize] : o.imgSize;
    const c = o.channels ?? 3;
    const mean = o.mean ?? [123.675, 116.28, 103.53];
    const std = o.std ?? [58.395, 57.12, 57.375];
    if (mean.length !== c || std.length !== c)
      throw new RangeError(`LowFreqTargetGenerator: mean and std need ${c} values, got ${mean.length} and ${std.length}`);
    const [h, w] = this.imgSize;
    const filter = new Float32Array(c * h * w);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        if ((i - (h - 1) / 2) ** 2 + (j - (w - 1) / 2) ** 2 <= this.radius ** 2)
          for (let k = 0; k < c; k++) filter[(k * h + i) * w + j] = 1;
    this.lowPassFilter = this.registerBuffer('low_pass_filter', torch.tensor(filter, { shape: [c, h, w] }), {
      persistent: false,
    });
    this.mean = this.registerBuffer(
      'mean',
      torch.tensor(
        Float64Array.from(mean, (v) => v / 255),
        { shape: [1, c, 1, 1] },
      ),
      {
        persistent: false,
      },
    );
    this.std = this.registerBuffer(
      'std',
      torch.tensor(
        Float64Array.from(std, (v) => v / 255),
        { shape: [1, c, 1, 1] },
      ),
      {
        persistent: false,
      },
    );
  }

  /** Preprocessed `(N, C, H, W)` images → their low-pass version in the same units. */
  forward(images: Tensor): Tensor {
    const [, c, h, w] = images.shape;
    if (images.dim() !== 4 || c !== this.lowPassFilter.shape[0] || h !== this.imgSize[0] || w !== this.imgSize[1])
      throw new RangeError(
        `LowFreqTargetGenerator: expected (N, ${this.lowPassFilter.shape[0]}, ${this.imgSize[0]}, ${this.imgSize[1]}) images, got [${images.shape}]`,
      );
    return torch.noGrad(() =>
      torch.tidy(() => {
        const { aten } = torch.ops;
        const dtype = images.dtype;
        const mean = this.mean.to(dtype);
        const std = this.std.to(dtype);
        const pixels = images.detach().mul(std).add(mean);
        const spectrum = aten.fft_fftshift(aten.fft_fft2(pixels), [-2, -1]);
        const low = aten.fft_ifft2(spectrum.mul(this.lowPassFilter.to(dtype))).abs();
        return low.sub(mean).div(std);
      }),
    );
  }

  override extraRepr(): string {
    return `radius=${this.radius}, img_size=${this.imgSize}`;
  }
}

/** `LowFreqTargetGenerator` in TARGET_GENERATORS. */
export const lowFreqTargetGeneratorPart = definePart({
  registry: TARGET_GENERATORS,
  name: 'LowFreqTargetGenerator',
  schema: lowFreqTargetGeneratorSchema,
  description: "PixMIM's target: images through an ideal circular low-pass filter in the Fourier domain",
  build: (o) => new LowFreqTargetGenerator(o),
});
