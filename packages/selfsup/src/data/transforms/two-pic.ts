/**
 * BEiT's `RandomResizedCropAndInterpolationWithTwoPic` (Bao et al. 2022, "BEiT: BERT Pre-Training
 * of Image Transformers"): one Inception-style crop resized twice, to the model's input size and to
 * the tokenizer's (DALL-E 112 px for BEiT v1, 224 px for v2), each with its own interpolation.
 */
import type { Tensor } from '@selfsup/torch';
import * as torch from '@selfsup/torch';
import * as T from './functional.js';
import { RandomResizedCrop } from './random.js';
import type { Rng } from './rng.js';
import type { MultiOutputTransform } from './steps.js';

type Size = number | [number, number];
const hw = (s: Size): [number, number] => (typeof s === 'number' ? [s, s] : s);

export interface TwoPicOptions {
  /** The second output's size; without it there is one output (a plain RandomResizedCrop). */
  secondSize?: Size;
  scale?: [number, number];
  ratio?: [number, number];
  /** The first output's interpolation; `'random'` picks bilinear or bicubic per sample (as BEiT). */
  interpolation?: T.Interpolation | 'random';
  secondInterpolation?: T.Interpolation;
  /** Antialiased downscaling (PIL-like); on by default as in RandomResizedCrop. */
  antialias?: boolean;
}

export class RandomResizedCropAndInterpolationWithTwoPic implements MultiOutputTransform {
  readonly size: [number, number];
  readonly secondSize: [number, number] | null;
  readonly outputs: number;
  private readonly crop: RandomResizedCrop;

  constructor(
    size: Size,
    readonly o: TwoPicOptions = {},
  ) {
    this.size = hw(size);
    this.secondSize = o.secondSize === undefined ? null : hw(o.secondSize);
    this.outputs = this.secondSize ? 2 : 1;
    this.crop = new RandomResizedCrop(size, { scale: o.scale, ratio: o.ratio });
  }

  /** The crop `[top, left, h, w]` and the first output's interpolation, drawn in BEiT's order. */
  getParams(height: number, width: number, rng: Rng): { box: [number, number, number, number]; interpolation: T.Interpolation } {
    const box = this.crop.getParams(height, width, rng);
    const i = this.o.interpolation ?? 'bilinear';
    return { box, interpolation: i === 'random' ? (rng.random() < 0.5 ? 'bilinear' : 'bicubic') : i };
  }

  /** `[image at size]` or `[image at size, image at secondSize]` for one `(C, H, W)` image. */
  applyMulti(img: Tensor, rng: Rng): Tensor[] {
    const { box, interpolation } = this.getParams(img.shape[img.dim() - 2], img.shape[img.dim() - 1], rng);
    const antialias = this.o.antialias ?? true;
    return torch.tidy(() => {
      const c = T.crop(img, ...box);
      const out = [T.resize(c, this.size, { interpolation, antialias })];
      if (this.secondSize)
        out.push(T.resize(c, this.secondSize, { interpolation: this.o.secondInterpolation ?? 'bicubic', antialias }));
      return out;
    });
  }
}
