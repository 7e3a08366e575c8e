/**
 * Random erasing (Zhong et al. 2020, "Random Erasing Data Augmentation") with mmpretrain's
 * `RandomErasing` options and defaults (erase_prob 0.5, area ratio U[0.02, 0.4], log-aspect
 * U[log 0.3, log 10/3], mode 'const' with fill_color 128): with probability `eraseProb` one
 * rectangle of the `(C, H, W)` image is replaced by the fill colour (`const`), by uniform bytes
 * (`rand`), or by N(fillColor, fillStd²) per pixel and channel (`rand` with `fillStd`).
 *
 * Where it runs: mmpretrain erases the uint8 image before normalisation, which is where this
 * pipeline's views are (the loader sends uint8; models normalise). With `fillColor` = the dataset
 * mean and `fillStd` = its std (MAE's fine-tuning: ImageNet's, erase_prob 0.25, max ratio 1/3) the
 * erased pixels are, after normalisation, timm's `RandomErasing(mode='pixel')` N(0, 1) noise, up to
 * uint8 truncation and clipping. On float images (after ToTensor/Normalize, in a per-image
 * pipeline) no rounding happens, so `fillColor: 0, fillStd: 1` on normalised images is timm's pixel
 * mode itself.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { type Augmentation, AugmentationTransform } from './augmentation.js';
import type { Planes } from './bytes.js';
import { roundHalfEven } from './functional.js';
import { onBytes, type Transform } from './random.js';
import { Rng } from './rng.js';

export interface RandomErasingOptions {
  /** Probability of erasing (default 0.5; MAE: 0.25). */
  eraseProb?: number;
  /** Smallest erased area / image area (default 0.02). */
  minAreaRatio?: number;
  /** Largest erased area / image area (default 0.4; MAE: 1/3). */
  maxAreaRatio?: number;
  /** Aspect (height / width) range, or r for [min(r, 1/r), max(r, 1/r)] (default [0.3, 10/3]). */
  aspectRange?: number | [number, number];
  /** 'const' (default): fillColor; 'rand': random pixels (uniform bytes, or normal with fillStd). */
  mode?: 'const' | 'rand';
  /** One value or one per channel (default 128). */
  fillColor?: number | number[];
  /** With mode 'rand': per-pixel N(fillColor, fillStd²) instead of uniform bytes; one value or one per channel. */
  fillStd?: number | number[];
}

/** The rectangle one image loses, and the seed of its random fill. */
export interface ErasingParams {
  top: number;
  left: number;
  h: number;
  w: number;
  seed: number;
}

/** A per-channel setting for `c` channels. */
function perChannel(v: number | number[], c: number, what: string): number[] {
  if (typeof v === 'number') return Array.from({ length: c }, () => v);
  if (v.length !== c) throw new RangeError(`RandomErasing: ${what} has ${v.length} values for ${c}-channel images`);
  return v;
}

/** mmpretrain's RandomErasing (see the module comment), on uint8 or float `(C, H, W)` images. */
export class RandomErasing extends AugmentationTransform<ErasingParams> implements Transform {
  readonly eraseProb: number;
  readonly minAreaRatio: number;
  readonly maxAreaRatio: number;
  readonly aspectRange: [number, number];
  readonly mode: 'const' | 'rand';
  readonly fillColor: number | number[];
  readonly fillStd: number | number[] | undefined;
  protected readonly augmentation: Augmentation<ErasingParams>;

  constructor(o: RandomErasingOptions = {}) {
    super();
    this.eraseProb = o.eraseProb ?? 0.5;
    this.minAreaRatio = o.minAreaRatio ?? 0.02;
    this.maxAreaRatio = o.maxAreaRatio ?? 0.4;
    const a = o.aspectRange ?? [3 / 10, 10 / 3];
    this.aspectRange = typeof a === 'number' ? [Math.min(a, 1 / a), Math.max(a, 1 / a)] : a;
    this.mode = o.mode ?? 'const';
    this.fillColor = o.fillColor ?? 128;
    this.fillStd = o.fillStd;
    if (!(this.eraseProb >= 0 && this.eraseProb <= 1))
      throw new RangeError(`RandomErasing: eraseProb must be in [0, 1], got ${this.eraseProb}`);
    if (!(this.minAreaRatio >= 0 && this.minAreaRatio <= this.maxAreaRatio && this.maxAreaRatio <= 1))
      throw new RangeError(
        `RandomErasing: need 0 ≤ minAreaRatio ≤ maxAreaRatio ≤ 1, got ${this.minAreaRatio} and ${this.maxAreaRatio}`,
      );
    if (!(this.aspectRange[0] > 0 && this.aspectRange[0] <= this.aspectRange[1]))
      throw new RangeError(`RandomErasing: aspectRange must be positive [min, max], got ${JSON.stringify(o.aspectRange)}`);
    if (this.fillStd !== undefined && this.mode !== 'rand') throw new RangeError("RandomErasing: fillStd needs mode 'rand'");
    this.augmentation = {
      sample: (rng, h, w) => this.sample(rng, h, w),
      reference: (img, p) => this.eraseTensor(img, (i) => (i === 0 ? p : null)),
      kernels: {
        batch: (batch, ps) => this.eraseTensor(batch, (i) => ps[i]),
        bytes: (img, p) => this.eraseBytes(img, p),
      },
    };
  }

  /** mmpretrain's draws: the coin, the log-aspect, the area, then the offsets (and a seed for the fill). */
  sample(rng: Rng, height: number, width: number): ErasingParams | null {
    if (rng.random() >= this.eraseProb) return null;
    const aspect = Math.exp(rng.uniform(Math.log(this.aspectRange[0]), Math.log(this.aspectRange[1])));
    const area = height * width * rng.uniform(this.minAreaRatio, this.maxAreaRatio);
    const h = Math.min(roundHalfEven(Math.sqrt(area * aspect)), height);
    const w = Math.min(roundHalfEven(Math.sqrt(area / aspect)), width);
    // numpy's randint excludes its upper end: the rectangle never touches the bottom/right edge unless it spans the image.
    const top = height > h ? rng.randint(0, height - h) : 0;
    const left = width > w ? rng.randint(0, width - w) : 0;
    const seed = rng.randint(0, 2 ** 32);
    return h > 0 && w > 0 ? { top, left, h, w, seed } : null;
  }

  /**
   * The erased pixels of one image, `(h, w, c)` in that order (as numpy draws them), as floats:
   * const fill, uniform bytes, or normal draws (truncated and clipped to bytes for uint8 images).
   */
  fillValues(p: ErasingParams, c: number, uint8: boolean): Float64Array {
    const n = p.h * p.w;
    const out = new Float64Array(n * c);
    const color = perChannel(this.fillColor, c, 'fillColor');
    if (this.mode === 'const') {
      // numpy's uint8 cast of the fill colour truncates (123.675 → 123).
      for (let i = 0; i < n * c; i++) out[i] = uint8 ? Math.trunc(color[i % c]) & 255 : color[i % c];
      return out;
    }
    const rng = new Rng(p.seed);
    if (this.fillStd === undefined) {
      if (!uint8) throw new TypeError("RandomErasing: mode 'rand' on float images needs fillStd (uniform bytes are for uint8)");
      for (let i = 0; i < n * c; i++) out[i] = Math.floor(rng.uniform(0, 256));
      return out;
    }
    const std = perChannel(this.fillStd, c, 'fillStd');
    for (let i = 0; i < n * c; i++) {
      const v = rng.normal(color[i % c], std[i % c]);
      out[i] = uint8 ? Math.min(255, Math.max(0, Math.trunc(v))) : v;
    }
    return out;
  }

  /** Erases one uint8 image in JS memory, in place. */
  eraseBytes(img: Planes, p: ErasingParams): void {
    const { data, offset, c, h: H, w: W } = img;
    if (p.top + p.h > H || p.left + p.w > W)
      throw new RangeError(`RandomErasing: rectangle ${JSON.stringify(p)} exceeds the ${H}×${W} image`);
    const vals = this.fillValues(p, c, true);
    for (let y = 0; y < p.h; y++)
      for (let x = 0; x < p.w; x++)
        for (let k = 0; k < c; k++) data[offset + k * H * W + (p.top + y) * W + p.left + x] = vals[(y * p.w + x) * c + k];
  }

  /** `(C, H, W)` or `(N, C, H, W)` images, image i erased with `paramsOf(i)` (null: unchanged). */
  private eraseTensor(x: Tensor, paramsOf: (i: number) => ErasingParams | null): Tensor {
    if (x.dim() !== 3 && x.dim() !== 4)
      throw new RangeError(`RandomErasing: expected (C, H, W) or (N, C, H, W) images, got ${JSON.stringify(x.shape)}`);
    if (x.dtype === 'uint8')
      return torch.tidy(() =>
        onBytes(x, 'RandomErasing', (planes, i) => {
          const p = paramsOf(i);
          if (p) this.eraseBytes(planes, p);
        }),
      );
    if (!x.isFloatingPoint()) throw new TypeError(`RandomErasing: expected uint8 or float images, got ${x.dtype}`);
    return torch.tidy(() => {
      const out = x.clone();
      const batched = x.dim() === 4;
      const n = batched ? x.shape[0] : 1;
      const c = x.shape[x.dim() - 3];
      for (let i = 0; i < n; i++) {
        const p = paramsOf(i);
        if (!p) continue;
        const img = batched ? out.select(0, i) : out;
        const vals = torch
          .tensor(this.fillValues(p, c, false), { dtype: 'float64', device: x.device })
          .view(p.h, p.w, c)
          .permute(2, 0, 1);
        img.narrow(-2, p.top, p.h).narrow(-1, p.left, p.w).copy_(vals);
      }
      return out;
    });
  }
}
