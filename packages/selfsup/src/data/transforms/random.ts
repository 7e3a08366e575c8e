/**
 * Random augmentations with MMSelfSup's parameters and defaults, applied to `(C, H, W)` uint8
 * tensors. Each draws its parameters from the sample's `Rng` and applies the torchvision-exact
 * functional ops, so given the same parameters the pixels equal torchvision's.
 */
import type { Tensor } from '@selfsup/torch';
import * as torch from '@selfsup/torch';
import * as T from './functional.js';
import type { Rng } from './rng.js';

export interface Transform {
  apply(img: Tensor, rng: Rng): Tensor;
}

type Size = number | [number, number];
const hw = (s: Size): [number, number] => (typeof s === 'number' ? [s, s] : s);
const dims = (img: Tensor): [number, number] => [img.shape[img.dim() - 2], img.shape[img.dim() - 1]];

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
    } = {},
  ) {
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
    });
  }
}

/** Flips with probability `prob` (mmcv's RandomFlip; horizontal by default). */
export class RandomFlip implements Transform {
  constructor(
    readonly prob = 0.5,
    readonly direction: 'horizontal' | 'vertical' = 'horizontal',
  ) {}
  apply(img: Tensor, rng: Rng): Tensor {
    if (rng.random() >= this.prob) return img;
    return this.direction === 'horizontal' ? T.hflip(img) : T.vflip(img);
  }
}

export interface JitterParams {
  order: number[];
  brightness: number | null;
  contrast: number | null;
  saturation: number | null;
  hue: number | null;
}

/** torchvision's ColorJitter: factors ~ U[max(0, 1−x), 1+x] (hue ~ U[−h, h]) in a random order. */
export class ColorJitter implements Transform {
  constructor(readonly o: { brightness?: number; contrast?: number; saturation?: number; hue?: number } = {}) {
    if ((o.hue ?? 0) > 0.5 || (o.hue ?? 0) < 0) throw new RangeError(`ColorJitter: hue must be in [0, 0.5], got ${o.hue}`);
  }

  getParams(rng: Rng): JitterParams {
    const order = rng.permutation(4);
    const f = (x: number | undefined) => (x ? rng.uniform(Math.max(0, 1 - x), 1 + x) : null);
    const brightness = f(this.o.brightness);
    const contrast = f(this.o.contrast);
    const saturation = f(this.o.saturation);
    const hue = this.o.hue ? rng.uniform(-this.o.hue, this.o.hue) : null;
    return { order, brightness, contrast, saturation, hue };
  }

  /** Applies given parameters (the deterministic half, testable against torchvision). */
  static applyParams(img: Tensor, p: JitterParams): Tensor {
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

  apply(img: Tensor, rng: Rng): Tensor {
    return ColorJitter.applyParams(img, this.getParams(rng));
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
}

/** Greyscale with probability `prob`, keeping 3 channels (what MMSelfSup's configs ask for). */
export class RandomGrayscale implements Transform {
  constructor(
    readonly prob = 0.1,
    readonly keepChannels = true,
  ) {}
  apply(img: Tensor, rng: Rng): Tensor {
    if (rng.random() >= this.prob) return img;
    return T.rgbToGrayscale(img, this.keepChannels ? 3 : 1);
  }
}

/**
 * Gaussian blur with σ ~ U[σmin, σmax] and probability `prob` (SimCLR's augmentation). The kernel
 * spans ±3σ (size 2⌈3σ⌉+1) unless `kernelSize` is given.
 */
export class RandomGaussianBlur implements Transform {
  constructor(readonly o: { sigmaMin: number; sigmaMax: number; prob?: number; kernelSize?: number }) {}
  apply(img: Tensor, rng: Rng): Tensor {
    if (rng.random() >= (this.o.prob ?? 0.5)) return img;
    const sigma = rng.uniform(this.o.sigmaMin, this.o.sigmaMax);
    const [H, W] = dims(img);
    let k = this.o.kernelSize ?? 2 * Math.ceil(3 * sigma) + 1;
    // Reflect padding needs the half-kernel below the image size.
    const maxK = 2 * (Math.min(H, W) - 1) - 1;
    if (k > maxK) k = maxK % 2 === 0 ? maxK - 1 : maxK;
    if (k < 1) return img;
    return T.gaussianBlur(img, [k, k], [sigma, sigma]);
  }
}

/** Solarize at `threshold` with probability `prob`. */
export class RandomSolarize implements Transform {
  constructor(
    readonly threshold = 128,
    readonly prob = 0.5,
  ) {}
  apply(img: Tensor, rng: Rng): Tensor {
    return rng.random() < this.prob ? T.solarize(img, this.threshold) : img;
  }
}

export class Resize implements Transform {
  constructor(
    readonly size: [number, number],
    readonly o: { interpolation?: T.Interpolation; antialias?: boolean } = {},
  ) {}
  apply(img: Tensor): Tensor {
    return T.resize(img, this.size, { antialias: true, ...this.o });
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
