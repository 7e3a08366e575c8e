/**
 * Random augmentations with MMSelfSup's parameters and defaults, applied to `(C, H, W)` uint8
 * tensors. Each draws its parameters from the sample's `Rng` and applies the torchvision-exact
 * functional ops, so given the same parameters the pixels equal torchvision's.
 */
import type { Tensor } from '@selfsup/torch';
import * as torch from '@selfsup/torch';
import {
  brightnessBytes,
  contrastBytes,
  flipBytes,
  greyscaleBytes,
  hueBytes,
  type Planes,
  saturationBytes,
  solarizeBytes,
} from './bytes.js';
import * as T from './functional.js';
import { pilGaussianBlurBytes } from './pil-blur.js';
import { pilBrightnessBytes, pilContrastBytes, pilGreyscaleBytes, pilHueBytes, pilSaturationBytes } from './pil-color.js';
import { type Augmentation, AugmentationTransform, dims } from './augmentation.js';
import type { Rng } from './rng.js';

export interface Transform {
  /** One image `(C, H, W)`. */
  apply(img: Tensor, rng: Rng): Tensor;
  /**
   * A batch `(N, C, H, W)` of same-size images, sample i drawing from `rngs[i]` exactly as `apply`
   * would, so the result equals applying `apply` to each image. Absent for transforms that change
   * each image's size differently (crops before their resize).
   */
  applyBatch?(batch: Tensor, rngs: Rng[]): Tensor;
  /**
   * One 3-channel uint8 image in JS memory, changed in place, drawing from `rng` and computing
   * exactly what `apply` computes (bytes.ts). Present for the cheap per-pixel transforms.
   */
  applyBytes?(img: Planes, rng: Rng): void;
}

/** Runs `fn` on the rows `which` of `batch` and writes the results back (other rows unchanged). */
function onRows(batch: Tensor, which: number[], fn: (rows: Tensor) => Tensor): Tensor {
  if (which.length === 0) return batch;
  if (which.length === batch.shape[0]) return fn(batch);
  return torch.tidy(() => {
    const idx = torch.tensor(which, { dtype: 'int64', device: batch.device });
    const out = batch.clone();
    out.indexPut_([idx], fn(batch.indexSelect(0, idx)));
    return out;
  });
}

/**
 * A JS per-image op on uint8 tensors, `(C, H, W)` or each image `i` of `(N, C, H, W)`: how the
 * `pillow` backends (Pillow's arithmetic on bytes) run on the tensor paths.
 */
export function onBytes(x: Tensor, what: string, fn: (p: Planes, i: number) => void): Tensor {
  if (x.dtype !== 'uint8' || (x.dim() !== 3 && x.dim() !== 4))
    throw new TypeError(
      `${what} with backend 'pillow' needs uint8 (C, H, W) images (PIL's L/RGB), got ${x.dtype} ${JSON.stringify(x.shape)}`,
    );
  const [n, c, h, w] = x.dim() === 4 ? x.shape : [1, ...x.shape];
  const data = x.contiguous().toTypedArray() as Uint8Array;
  for (let i = 0; i < n; i++) fn({ data, offset: i * c * h * w, c, h, w }, i);
  return torch.tensor(data, { shape: x.shape, device: x.device });
}

type Size = number | [number, number];
const hw = (s: Size): [number, number] => (typeof s === 'number' ? [s, s] : s);

/** The indices of the images that drew parameters (the others stay as they are). */
const chosen = <P>(ps: (P | null)[]): number[] => ps.flatMap((p, i) => (p === null ? [] : [i]));

/** Applies transforms in order, freeing intermediates. */
export class Compose implements Transform {
  constructor(readonly transforms: Transform[]) {}
  apply(img: Tensor, rng: Rng): Tensor {
    let cur = img;
    for (const t of this.transforms) {
      const next = t.apply(cur, rng);
      if (cur !== img && cur !== next) cur.dispose();
      cur = next;
    }
    return cur === img ? img.clone() : cur;
  }

  /** Whether every transform has a batched form. */
  get batchable(): boolean {
    return this.transforms.every((t) => t.applyBatch !== undefined);
  }

  applyBatch(batch: Tensor, rngs: Rng[]): Tensor {
    let cur = batch;
    for (const t of this.transforms) {
      const next = t.applyBatch
        ? t.applyBatch(cur, rngs)
        : torch.tidy(() => torch.stack(cur.unbind(0).map((x, i) => t.apply(x, rngs[i]))));
      if (cur !== batch && cur !== next) cur.dispose();
      cur = next;
    }
    return cur === batch ? batch.clone() : cur;
  }
}

/**
 * Inception-style crop (Szegedy et al. 2015): area fraction ~ U(scale), log aspect ratio ~
 * U(log ratio), up to 10 tries, else a centre crop with the ratio clamped; then resized to `size`.
 */
export class RandomResizedCrop implements Transform {
  readonly size: [number, number];
  readonly scale: [number, number];
  readonly ratio: [number, number];
  constructor(
    size: Size,
    readonly o: {
      scale?: [number, number];
      ratio?: [number, number];
      interpolation?: T.Interpolation;
      antialias?: boolean;
      maxAttempts?: number;
      /** `tensor` (default: torchvision on tensors) or `pillow` (torchvision on PIL images). */
      backend?: T.ImageBackend;
    } = {},
  ) {
    T.pilFilterOf(o.interpolation ?? 'bilinear', o.backend);
    this.size = hw(size);
    this.scale = o.scale ?? [0.08, 1];
    this.ratio = o.ratio ?? [3 / 4, 4 / 3];
  }

  /** torchvision's `get_params`: `[top, left, h, w]`. */
  getParams(height: number, width: number, rng: Rng): [number, number, number, number] {
    const area = height * width;
    const logR = [Math.log(this.ratio[0]), Math.log(this.ratio[1])];
    for (let k = 0; k < (this.o.maxAttempts ?? 10); k++) {
      const target = area * rng.uniform(this.scale[0], this.scale[1]);
      const aspect = Math.exp(rng.uniform(logR[0], logR[1]));
      const w = T.roundHalfEven(Math.sqrt(target * aspect));
      const h = T.roundHalfEven(Math.sqrt(target / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height)
        return [rng.randint(0, height - h + 1), rng.randint(0, width - w + 1), h, w];
    }
    const inRatio = width / height;
    let w = width;
    let h = height;
    if (inRatio < Math.min(...this.ratio)) h = T.roundHalfEven(w / Math.min(...this.ratio));
    else if (inRatio > Math.max(...this.ratio)) w = T.roundHalfEven(h * Math.max(...this.ratio));
    return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
  }

  apply(img: Tensor, rng: Rng): Tensor {
    const [H, W] = dims(img);
    const [i, j, h, w] = this.getParams(H, W, rng);
    return T.resizedCrop(img, i, j, h, w, this.size, {
      interpolation: this.o.interpolation ?? 'bilinear',
      antialias: this.o.antialias ?? true,
      backend: this.o.backend,
    });
  }

  /**
   * The crop of a float `(1, C, H, W)` image resized, before uint8 rounding: the float values
   * `apply` computes for the same image and stream. Batches round once for all images (`toUint8`).
   */
  applyFloat(img: Tensor, rng: Rng): Tensor {
    const [H, W] = dims(img);
    const [i, j, h, w] = this.getParams(H, W, rng);
    const mode = this.o.interpolation ?? 'bilinear';
    if (T.pilFilterOf(mode, this.o.backend) || mode === 'lanczos')
      throw new TypeError("RandomResizedCrop: Pillow's resampling (lanczos, backend 'pillow') has no float path");
    return torch.tidy(() =>
      torch.F.interpolate(
        // Contiguous as T.crop leaves it, so the kernel walks the same memory layout.
        img.narrow(-2, i, h).narrow(-1, j, w).contiguous(),
        mode === 'nearest'
          ? { size: this.size, mode }
          : { size: this.size, mode, alignCorners: false, antialias: this.o.antialias ?? true },
      ),
    );
  }

  /** Float resize results → uint8 exactly as `apply` converts them (bicubic clamped, then rounded). */
  toUint8(x: Tensor): Tensor {
    return torch.tidy(() => {
      const y = (this.o.interpolation ?? 'bilinear') === 'bicubic' ? x.clamp({ min: 0, max: 255 }) : x;
      return y.round().to('uint8');
    });
  }
}

/** Flips with probability `prob` (mmcv's RandomFlip; horizontal by default). */
export class RandomFlip extends AugmentationTransform<true> implements Transform {
  protected readonly augmentation: Augmentation<true>;
  constructor(
    readonly prob = 0.5,
    readonly direction: 'horizontal' | 'vertical' = 'horizontal',
  ) {
    super();
    const flip = (x: Tensor) => (direction === 'horizontal' ? T.hflip(x) : T.vflip(x));
    this.augmentation = {
      sample: (rng) => (rng.random() < prob ? true : null),
      reference: flip,
      kernels: {
        batch: (batch, ps) => onRows(batch, chosen(ps), flip),
        bytes: (img) => flipBytes(img, direction),
      },
    };
  }
}

export interface JitterParams {
  order: number[];
  brightness: number | null;
  contrast: number | null;
  saturation: number | null;
  hue: number | null;
}

/** A jitter amount: x for [center − x, center + x] (clipped at 0 for factors), or an explicit [min, max]. */
export type JitterAmount = number | readonly [number, number];

export interface ColorJitterOptions {
  brightness?: JitterAmount;
  contrast?: JitterAmount;
  saturation?: JitterAmount;
  hue?: JitterAmount;
  /** `pillow`: torchvision's result on PIL images (ImageEnhance, PIL's HSV), on uint8 images. */
  backend?: T.ImageBackend;
}

/**
 * torchvision's `_check_input`: the range a jitter amount stands for, or null for "off" (a range
 * that is only the identity value).
 */
function jitterRange(name: string, v: JitterAmount | undefined, hue: boolean): [number, number] | null {
  if (v === undefined) return null;
  const center = hue ? 0 : 1;
  const bound: [number, number] = hue ? [-0.5, 0.5] : [0, Number.POSITIVE_INFINITY];
  let r: [number, number];
  if (typeof v === 'number') {
    if (!(v >= 0)) throw new RangeError(`ColorJitter: ${name} must be a non-negative number, got ${v}`);
    r = [center - v, center + v];
    if (!hue) r[0] = Math.max(r[0], 0);
  } else {
    if (v.length !== 2 || !v.every(Number.isFinite))
      throw new RangeError(`ColorJitter: ${name} range must be [min, max], got ${JSON.stringify(v)}`);
    r = [v[0], v[1]];
  }
  if (!(bound[0] <= r[0] && r[0] <= r[1] && r[1] <= bound[1]))
    throw new RangeError(
      `ColorJitter: ${name} values should be within [${bound[0]}, ${bound[1]}] and min ≤ max, got [${r[0]}, ${r[1]}]`,
    );
  return r[0] === center && r[1] === center ? null : r;
}

/**
 * torchvision's ColorJitter: brightness, contrast and saturation factors ~ U[max(0, 1−x), 1+x]
 * and hue ~ U[−h, h] (or U[min, max] for a `[min, max]` range), applied in a random order.
 */
export class ColorJitter extends AugmentationTransform<JitterParams> implements Transform {
  /** The brightness, contrast, saturation and hue ranges (null: off), as torchvision stores them. */
  readonly ranges: ([number, number] | null)[];

  constructor(readonly o: ColorJitterOptions = {}) {
    super();
    this.ranges = [
      jitterRange('brightness', o.brightness, false),
      jitterRange('contrast', o.contrast, false),
      jitterRange('saturation', o.saturation, false),
      jitterRange('hue', o.hue, true),
    ];
  }

  getParams(rng: Rng): JitterParams {
    const order = rng.permutation(4);
    // Drawn in torchvision's order: brightness, contrast, saturation, hue.
    const [brightness, contrast, saturation, hue] = this.ranges.map((r) => (r ? rng.uniform(r[0], r[1]) : null));
    return { order, brightness, contrast, saturation, hue };
  }

  /** Applies given parameters (the deterministic half, testable against torchvision). */
  static applyParams(img: Tensor, p: JitterParams, backend: T.ImageBackend = 'tensor'): Tensor {
    if (backend === 'pillow') return onBytes(img, 'ColorJitter', (planes) => ColorJitter.applyParamsBytes(planes, p, backend));
    let cur = img;
    for (const k of p.order) {
      let next = cur;
      if (k === 0 && p.brightness !== null) next = T.adjustBrightness(cur, p.brightness);
      else if (k === 1 && p.contrast !== null) next = T.adjustContrast(cur, p.contrast);
      else if (k === 2 && p.saturation !== null) next = T.adjustSaturation(cur, p.saturation);
      else if (k === 3 && p.hue !== null) next = T.adjustHue(cur, p.hue);
      if (next !== cur && cur !== img) cur.dispose();
      cur = next;
    }
    return cur;
  }

  /** `applyParams` on one uint8 image in JS memory, in place, with the backend's arithmetic. */
  static applyParamsBytes(img: Planes, p: JitterParams, backend: T.ImageBackend = 'tensor'): void {
    const ops =
      backend === 'pillow'
        ? [pilBrightnessBytes, pilContrastBytes, pilSaturationBytes, pilHueBytes]
        : [brightnessBytes, contrastBytes, saturationBytes, hueBytes];
    const factors = [p.brightness, p.contrast, p.saturation, p.hue];
    for (const k of p.order) {
      const f = factors[k];
      if (f !== null) ops[k](img, f);
    }
  }

  /** Step k of every image's random order runs as at most four batched ops (see `batchParams`). */
  protected readonly augmentation: Augmentation<JitterParams> = {
    sample: (rng) => this.getParams(rng),
    reference: (img, p) => ColorJitter.applyParams(img, p, this.o.backend),
    kernels: {
      batch: (batch, ps) => this.batchParams(batch, ps as JitterParams[]),
      bytes: (img, p) => ColorJitter.applyParamsBytes(img, p, this.o.backend),
    },
  };

  /**
   * Step k of every sample's random order runs as at most four batched ops: the samples whose k-th
   * op is brightness get it together (per-sample factors), then those whose k-th op is contrast, and
   * so on. Each sample sees its ops in its own order, as `apply` does.
   */
  private batchParams(batch: Tensor, params: JitterParams[]): Tensor {
    if (this.o.backend === 'pillow')
      return onBytes(batch, 'ColorJitter', (p, i) => ColorJitter.applyParamsBytes(p, params[i], 'pillow'));
    const factor = (p: JitterParams, op: number) => [p.brightness, p.contrast, p.saturation, p.hue][op];
    const ops = [T.adjustBrightness, T.adjustContrast, T.adjustSaturation, T.adjustHue];
    return torch.tidy(() => {
      const out = batch.clone();
      for (let step = 0; step < 4; step++) {
        for (let op = 0; op < 4; op++) {
          const rows = params.flatMap((p, i) => (p.order[step] === op && factor(p, op) !== null ? [i] : []));
          if (rows.length === 0) continue;
          const fs = rows.map((i) => factor(params[i], op) as number);
          torch.tidy(() => {
            if (rows.length === params.length) out.copy_(ops[op](out, fs));
            else {
              const idx = torch.tensor(rows, { dtype: 'int64', device: batch.device });
              out.indexPut_([idx], ops[op](out.indexSelect(0, idx), fs));
            }
          });
        }
      }
      return out;
    });
  }
}

/** Applies `transforms` with probability `prob` (mmcv's RandomApply). */
export class RandomApply implements Transform {
  private readonly inner: Compose;
  constructor(
    transforms: Transform[],
    readonly prob = 0.5,
  ) {
    this.inner = new Compose(transforms);
  }
  apply(img: Tensor, rng: Rng): Tensor {
    return rng.random() < this.prob ? this.inner.apply(img, rng) : img;
  }
  get applyBytes(): ((img: Planes, rng: Rng) => void) | undefined {
    const steps = this.inner.transforms;
    if (!steps.every((t) => t.applyBytes)) return undefined;
    return (img, rng) => {
      if (rng.random() < this.prob) for (const t of steps) t.applyBytes?.(img, rng);
    };
  }
  get applyBatch(): ((batch: Tensor, rngs: Rng[]) => Tensor) | undefined {
    if (!this.inner.batchable) return undefined;
    return (batch, rngs) => {
      const which = rngs.map((r, i) => (r.random() < this.prob ? i : -1)).filter((i) => i >= 0);
      return onRows(batch, which, (rows) =>
        this.inner.applyBatch(
          rows,
          which.map((i) => rngs[i]),
        ),
      );
    };
  }
}

/** Greyscale with probability `prob`, keeping 3 channels (what MMSelfSup's configs ask for). */
export class RandomGrayscale extends AugmentationTransform<true> implements Transform {
  protected readonly augmentation: Augmentation<true>;
  constructor(
    readonly prob = 0.1,
    readonly keepChannels = true,
    /** `pillow`: PIL's `convert('L')` (luma rounded) instead of torchvision's tensor luma (truncated). */
    readonly backend: T.ImageBackend = 'tensor',
  ) {
    super();
    const pillow = backend === 'pillow';
    this.augmentation = {
      sample: (rng) => (rng.random() < prob ? true : null),
      reference: (img) =>
        pillow
          ? torch.tidy(() => {
              const grey = onBytes(img, 'RandomGrayscale', pilGreyscaleBytes);
              return keepChannels ? grey : grey.narrow(grey.dim() - 3, 0, 1).contiguous();
            })
          : T.rgbToGrayscale(img, keepChannels ? 3 : 1),
      // One channel out changes the image's shape: no in-place or batched kernel then.
      kernels: keepChannels
        ? {
            batch: (batch, ps) => {
              const which = chosen(ps);
              if (!pillow) return onRows(batch, which, (rows) => T.rgbToGrayscale(rows, 3));
              if (which.length === 0) return batch;
              return onBytes(batch, 'RandomGrayscale', (p, i) => {
                if (ps[i]) pilGreyscaleBytes(p);
              });
            },
            bytes: pillow ? pilGreyscaleBytes : greyscaleBytes,
          }
        : {},
    };
  }
}

/** One image's blur: σ and the tensor backend's kernel size. */
export interface BlurParams {
  sigma: number;
  k: number;
}

/**
 * Gaussian blur with σ ~ U[σmin, σmax] and probability `prob` (SimCLR's augmentation). On the
 * tensor backend the kernel spans ±3σ (size 2⌈3σ⌉+1) unless `kernelSize` is given; the pillow
 * backend is PIL's `GaussianBlur(radius=σ)` (three extended box passes per axis), as MMSelfSup.
 */
export class RandomGaussianBlur extends AugmentationTransform<BlurParams> implements Transform {
  protected readonly augmentation: Augmentation<BlurParams>;
  constructor(
    readonly o: {
      sigmaMin: number;
      sigmaMax: number;
      prob?: number;
      kernelSize?: number;
      /** `pillow`: PIL's `ImageFilter.GaussianBlur(radius=σ)`, MMSelfSup's own blur (no kernel size). */
      backend?: T.ImageBackend;
    },
  ) {
    super();
    const pillow = o.backend === 'pillow';
    this.augmentation = {
      sample: (rng, H, W) => {
        if (rng.random() >= (o.prob ?? 0.5)) return null;
        const sigma = rng.uniform(o.sigmaMin, o.sigmaMax);
        let k = o.kernelSize ?? 2 * Math.ceil(3 * sigma) + 1;
        // Reflect padding needs the half-kernel below the image size.
        const maxK = 2 * (Math.min(H, W) - 1) - 1;
        if (k > maxK) k = maxK % 2 === 0 ? maxK - 1 : maxK;
        return k < 1 ? null : { sigma, k };
      },
      reference: (img, d) =>
        pillow
          ? onBytes(img, 'RandomGaussianBlur', (p) => pilGaussianBlurBytes(p, d.sigma))
          : T.gaussianBlur(img, [d.k, d.k], [d.sigma, d.sigma]),
      kernels: {
        batch: (batch, draws) => (pillow ? pilBlurBatch(batch, draws) : tensorBlurBatch(batch, draws)),
        ...(pillow ? { bytes: (img: Planes, d: BlurParams) => pilGaussianBlurBytes(img, d.sigma) } : {}),
      },
    };
  }
}

/** PIL's blur on each drawn image of a batch. */
function pilBlurBatch(batch: Tensor, draws: (BlurParams | null)[]): Tensor {
  if (draws.every((d) => d === null)) return batch;
  return onBytes(batch, 'RandomGaussianBlur', (p, i) => {
    const d = draws[i];
    if (d) pilGaussianBlurBytes(p, d.sigma);
  });
}

/** Images grouped by kernel size; each group is one grouped convolution with per-image kernels. */
function tensorBlurBatch(batch: Tensor, draws: (BlurParams | null)[]): Tensor {
  const bySize = new Map<number, number[]>();
  draws.forEach((d, i) => {
    if (d) bySize.set(d.k, [...(bySize.get(d.k) ?? []), i]);
  });
  let out = batch;
  for (const [k, rows] of bySize) {
    const next = onRows(out, rows, (x) =>
      T.gaussianBlurBatch(
        x,
        [k, k],
        rows.map((i) => (draws[i] as BlurParams).sigma),
      ),
    );
    if (out !== batch && next !== out) out.dispose();
    out = next;
  }
  return out === batch ? batch.clone() : out;
}

/** Solarize at `threshold` with probability `prob`. */
export class RandomSolarize extends AugmentationTransform<true> implements Transform {
  protected readonly augmentation: Augmentation<true>;
  constructor(
    readonly threshold = 128,
    readonly prob = 0.5,
  ) {
    super();
    this.augmentation = {
      sample: (rng) => (rng.random() < prob ? true : null),
      reference: (img) => T.solarize(img, threshold),
      kernels: {
        batch: (batch, ps) => onRows(batch, chosen(ps), (rows) => T.solarize(rows, threshold)),
        bytes: (img) => solarizeBytes(img, threshold),
      },
    };
  }
}

/**
 * torchvision's Resize: `[h, w]` exactly, or one number for the shorter edge (the longer one
 * scaled to keep the aspect ratio, truncated, and capped at `maxSize`). Antialiased by default.
 */
export class Resize implements Transform {
  constructor(
    readonly size: Size,
    readonly o: { interpolation?: T.Interpolation; antialias?: boolean; maxSize?: number } = {},
  ) {}

  /** The output `[h, w]` for an input of `height × width`. */
  outputSize(height: number, width: number): [number, number] {
    if (typeof this.size !== 'number') return this.size;
    const [short, long] = width <= height ? [width, height] : [height, width];
    let newShort = this.size;
    let newLong = Math.trunc((this.size * long) / short);
    const max = this.o.maxSize;
    if (max !== undefined) {
      if (max <= this.size) throw new RangeError(`Resize: maxSize ${max} must exceed size ${this.size}`);
      if (newLong > max) [newShort, newLong] = [Math.trunc((max * newShort) / newLong), max];
    }
    return width <= height ? [newLong, newShort] : [newShort, newLong];
  }

  apply(img: Tensor): Tensor {
    const [H, W] = dims(img);
    return T.resize(img, this.outputSize(H, W), {
      interpolation: this.o.interpolation,
      antialias: this.o.antialias ?? true,
    });
  }
}

export class CenterCrop implements Transform {
  readonly size: [number, number];
  constructor(size: Size) {
    this.size = hw(size);
  }
  apply(img: Tensor): Tensor {
    return T.centerCrop(img, this.size[0], this.size[1]);
  }
}

/** Pads (constant, reflect or replicate) then crops a random `size` window. */
export class RandomCrop implements Transform {
  readonly size: [number, number];
  constructor(
    size: Size,
    readonly o: { padding?: number; paddingMode?: 'constant' | 'reflect' | 'replicate'; padVal?: number } = {},
  ) {
    this.size = hw(size);
  }
  apply(img: Tensor, rng: Rng): Tensor {
    return torch.tidy(() => {
      let x = img;
      const p = this.o.padding ?? 0;
      if (p > 0) {
        const batched = x.unsqueeze(0).float();
        const padded = torch.F.pad(batched, [p, p, p, p], { mode: this.o.paddingMode ?? 'constant', value: this.o.padVal ?? 0 });
        x = padded.squeeze(0).to(img.dtype);
      }
      const [H, W] = dims(x);
      const [h, w] = this.size;
      if (h > H || w > W) throw new RangeError(`RandomCrop: crop ${h}×${w} is larger than the (padded) image ${H}×${W}`);
      return T.crop(x, rng.randint(0, H - h + 1), rng.randint(0, W - w + 1), h, w);
    });
  }
}
