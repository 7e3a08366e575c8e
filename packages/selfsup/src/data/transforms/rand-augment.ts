/**
 * RandAugment (Cubuk et al. 2020, "RandAugment: Practical automated data augmentation with a
 * reduced search space") with mmpretrain's config (`RandAugment(policies='timm_increasing',
 * num_policies, magnitude_level, magnitude_std, total_level, hparams)`) and timm's semantics
 * (`rand-m9-mstd0.5-inc1`, the policy of MAE's and BEiT's fine-tuning, He et al. 2022): each image
 * draws `numPolicies` ops from the 15 "increasing" ops, with replacement; each drawn op applies with
 * probability ½, at a magnitude ~ N(magnitudeLevel, magnitudeStd²) (uniform on [0, level] for
 * `'inf'`) clipped to [0, totalLevel], negated with probability ½ where the op has a sign. Ops
 * reproduce Pillow's arithmetic byte for byte (pil-ops.ts, pil-affine.ts, pil-color.ts), so on
 * `(C, H, W)` uint8 images they give what timm's ops give on PIL images.
 *
 * Magnitude f = m / totalLevel maps to (timm's level functions): Rotate ±30f°; Posterize to
 * 4 − ⌊4f⌋ bits; Solarize at 256 − ⌊256f⌋; SolarizeAdd +⌊110f⌋ below 128; Color, Contrast,
 * Brightness, Sharpness factor 1 ± 0.9f; Shear ±0.3f; Translate ±0.45f of the image size.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { type Augmentation, AugmentationTransform } from './augmentation.js';
import type { Planes } from './bytes.js';
import { pilAffineBytes, pilRotateBytes, type PilTransformFilter } from './pil-affine.js';
import { pilBrightnessBytes, pilContrastBytes, pilSaturationBytes } from './pil-color.js';
import {
  pilAutocontrastBytes,
  pilEqualizeBytes,
  pilInvertBytes,
  pilPosterizeBytes,
  pilSharpnessBytes,
  pilSolarizeAddBytes,
  pilSolarizeBytes,
} from './pil-ops.js';
import { onBytes, type Transform } from './random.js';
import type { Rng } from './rng.js';

/** The ops of the `timm_increasing` policy set, in mmpretrain's order (timm's `_RAND_INCREASING_TRANSFORMS`). */
export const TIMM_INCREASING_OPS = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'Posterize',
  'Solarize',
  'SolarizeAdd',
  'ColorTransform',
  'Contrast',
  'Brightness',
  'Sharpness',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
] as const;

export type RandAugmentOp = (typeof TIMM_INCREASING_OPS)[number];

/** One op an image gets, with its argument (angle, bits, threshold, factor, or pixels). */
export interface RandAugmentStep {
  op: RandAugmentOp;
  arg: number;
}

export interface RandAugmentOptions {
  /** The policy set; only mmpretrain's `timm_increasing` (timm's `inc1`). */
  policies?: 'timm_increasing';
  /** Ops drawn per image (timm's `n`; MAE: 2). */
  numPolicies: number;
  /** Magnitude level (timm's `m`; MAE: 9). */
  magnitudeLevel: number;
  /** Std of the magnitude's noise (MAE: 0.5); 'inf' draws it uniformly in [0, magnitudeLevel]. Default 0. */
  magnitudeStd?: number | 'inf';
  /** The level that means full strength. Default 10. */
  totalLevel?: number;
  /** Probability that a drawn op applies. Default 0.5. */
  prob?: number;
  hparams?: {
    /**
     * Fill of rotated, sheared and translated-in pixels, one value or one per channel (default 128,
     * mmpretrain's; MAE: the ImageNet mean in RGB, [124, 116, 104]).
     */
    padVal?: number | number[];
    /** Resampling of the geometric ops (default: mmpretrain's, nearest for Rotate and Translate, bicubic for Shear). */
    interpolation?: PilTransformFilter;
  };
}

/** Ops whose argument is negated with probability ½. */
const SIGNED = new Set<RandAugmentOp>([
  'Rotate',
  'ColorTransform',
  'Contrast',
  'Brightness',
  'Sharpness',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
]);

/** The argument of `op` at fraction f of full strength on an `h × w` image, before any sign. */
function level(op: RandAugmentOp, f: number, h: number, w: number): number {
  switch (op) {
    case 'Rotate':
      return f * 30;
    case 'Posterize':
      return 4 - Math.trunc(f * 4);
    case 'Solarize':
      return 256 - Math.trunc(f * 256);
    case 'SolarizeAdd':
      return Math.trunc(f * 110);
    case 'ShearX':
    case 'ShearY':
      return f * 0.3;
    case 'TranslateX':
      return f * 0.45 * w;
    case 'TranslateY':
      return f * 0.45 * h;
    case 'AutoContrast':
    case 'Equalize':
    case 'Invert':
      return 0;
    default:
      // The enhancements: a blend factor 1 ± 0.9f (the sign is applied to 0.9f).
      return f * 0.9;
  }
}

/**
 * RandAugment with timm's increasing policy set (see the module comment). Works on 1- or
 * 3-channel uint8 images (Pillow's L and RGB).
 */
export class RandAugment extends AugmentationTransform<RandAugmentStep[]> implements Transform {
  readonly numPolicies: number;
  readonly magnitudeLevel: number;
  readonly magnitudeStd: number | 'inf';
  readonly totalLevel: number;
  readonly prob: number;
  readonly padVal: number | number[];
  readonly interpolation: PilTransformFilter | undefined;
  protected readonly augmentation: Augmentation<RandAugmentStep[]>;

  constructor(o: RandAugmentOptions) {
    super();
    if ((o.policies ?? 'timm_increasing') !== 'timm_increasing')
      throw new RangeError(`RandAugment: policies must be 'timm_increasing', got ${JSON.stringify(o.policies)}`);
    if (!(Number.isInteger(o.numPolicies) && o.numPolicies >= 1))
      throw new RangeError(`RandAugment: numPolicies must be a positive integer, got ${o.numPolicies}`);
    if (!(o.magnitudeLevel >= 0)) throw new RangeError(`RandAugment: magnitudeLevel must be ≥ 0, got ${o.magnitudeLevel}`);
    this.totalLevel = o.totalLevel ?? 10;
    if (!(this.totalLevel > 0)) throw new RangeError(`RandAugment: totalLevel must be positive, got ${this.totalLevel}`);
    this.numPolicies = o.numPolicies;
    this.magnitudeLevel = o.magnitudeLevel;
    this.magnitudeStd = o.magnitudeStd ?? 0;
    this.prob = o.prob ?? 0.5;
    this.padVal = o.hparams?.padVal ?? 128;
    this.interpolation = o.hparams?.interpolation;
    const fills = typeof this.padVal === 'number' ? [this.padVal] : this.padVal;
    if (!(fills.length === 1 || fills.length === 3) || !fills.every((v) => Number.isInteger(v) && v >= 0 && v <= 255))
      throw new RangeError(`RandAugment: hparams.padVal must be a byte or three, got ${JSON.stringify(this.padVal)}`);
    this.augmentation = {
      sample: (rng, h, w) => this.sample(rng, h, w),
      reference: (img, steps) => this.onImages(img, () => steps),
      kernels: {
        batch: (batch, params) => this.onImages(batch, (i) => params[i]),
        bytes: (img, steps) => this.applySteps(img, steps),
      },
    };
  }

  /** One image's ops: the draws, each op's coin, magnitude and sign, in that order. */
  sample(rng: Rng, h: number, w: number): RandAugmentStep[] | null {
    const drawn = Array.from({ length: this.numPolicies }, () => TIMM_INCREASING_OPS[rng.randint(0, TIMM_INCREASING_OPS.length)]);
    const steps: RandAugmentStep[] = [];
    for (const op of drawn) {
      if (rng.random() >= this.prob) continue;
      let m = this.magnitudeLevel;
      if (this.magnitudeStd === 'inf') m = rng.uniform(0, m);
      else if (this.magnitudeStd > 0) m = rng.normal(m, this.magnitudeStd);
      const negate = SIGNED.has(op) && rng.random() < 0.5;
      steps.push(this.step(op, m, negate, h, w));
    }
    return steps.length > 0 ? steps : null;
  }

  /**
   * The step of `op` at magnitude `m` (clipped to [0, totalLevel]) on an `h × w` image, its
   * argument negated when `negate` (ops without a sign ignore it): timm's `level_to_arg`.
   */
  step(op: RandAugmentOp, m: number, negate: boolean, h: number, w: number): RandAugmentStep {
    const f = Math.max(0, Math.min(m, this.totalLevel)) / this.totalLevel;
    let arg = level(op, f, h, w);
    if (negate && SIGNED.has(op)) arg = -arg;
    if (op === 'ColorTransform' || op === 'Contrast' || op === 'Brightness' || op === 'Sharpness') arg = Math.max(0.1, 1 + arg);
    return { op, arg };
  }

  /** The fill colour for an image of `c` channels. */
  private fill(c: number): number[] {
    const v = this.padVal;
    if (typeof v === 'number') return Array.from({ length: c }, () => v);
    if (v.length !== c) throw new RangeError(`RandAugment: hparams.padVal has ${v.length} values for ${c}-channel images`);
    return v;
  }

  /** Applies `steps` to one image in JS memory, in place. */
  applySteps(p: Planes, steps: RandAugmentStep[]): void {
    for (const { op, arg } of steps) {
      const geometric = (fallback: PilTransformFilter) => this.interpolation ?? fallback;
      switch (op) {
        case 'AutoContrast':
          pilAutocontrastBytes(p);
          break;
        case 'Equalize':
          pilEqualizeBytes(p);
          break;
        case 'Invert':
          pilInvertBytes(p);
          break;
        case 'Rotate':
          pilRotateBytes(p, arg, geometric('nearest'), this.fill(p.c));
          break;
        case 'Posterize':
          pilPosterizeBytes(p, arg);
          break;
        case 'Solarize':
          pilSolarizeBytes(p, arg);
          break;
        case 'SolarizeAdd':
          pilSolarizeAddBytes(p, arg, 128);
          break;
        case 'ColorTransform':
          pilSaturationBytes(p, arg);
          break;
        case 'Contrast':
          pilContrastBytes(p, arg);
          break;
        case 'Brightness':
          pilBrightnessBytes(p, arg);
          break;
        case 'Sharpness':
          pilSharpnessBytes(p, arg);
          break;
        case 'ShearX':
          pilAffineBytes(p, [1, arg, 0, 0, 1, 0], geometric('bicubic'), this.fill(p.c));
          break;
        case 'ShearY':
          pilAffineBytes(p, [1, 0, 0, arg, 1, 0], geometric('bicubic'), this.fill(p.c));
          break;
        case 'TranslateX':
          pilAffineBytes(p, [1, 0, arg, 0, 1, 0], geometric('nearest'), this.fill(p.c));
          break;
        case 'TranslateY':
          pilAffineBytes(p, [1, 0, 0, 0, 1, arg], geometric('nearest'), this.fill(p.c));
          break;
      }
    }
  }

  /** `(C, H, W)` or `(N, C, H, W)` uint8 images, image i getting `stepsOf(i)` (null: unchanged). */
  private onImages(x: Tensor, stepsOf: (i: number) => RandAugmentStep[] | null): Tensor {
    if (x.dtype !== 'uint8' || (x.dim() !== 3 && x.dim() !== 4))
      throw new TypeError(
        `RandAugment works on uint8 (C, H, W) images (Pillow's L or RGB): put it before ToTensor/Normalize, got ${x.dtype} ${JSON.stringify(x.shape)}`,
      );
    return torch.tidy(() =>
      onBytes(x, 'RandAugment', (p, i) => {
        const steps = stepsOf(i);
        if (steps) this.applySteps(p, steps);
      }),
    );
  }
}
