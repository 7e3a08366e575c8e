/**
 * Image transforms on tensors, with torchvision's tensor semantics (`transforms.functional` on
 * `(…, C, H, W)` uint8 or float images) so that the same parameters give the same pixels. They
 * work on one image `(C, H, W)` or a batch `(N, C, H, W)` alike — batching them as libtorch ops
 * is how pipelines run fast. uint8 results are truncated or rounded exactly where torchvision's are.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import type { Image } from '../image.js';
import { type PilFilter, pilResizedCropInto } from './pil-resample.js';

const { F } = torch;

function bound(img: Tensor): number {
  return img.isFloatingPoint() ? 1 : 255;
}

function channels(img: Tensor): number {
  return img.shape[img.dim() - 3];
}

/** `(H, W, C)` uint8 image → `(C, H, W)` uint8 tensor (torchvision's `pil_to_tensor`). */
export function imageToTensor(img: Image): Tensor {
  return torch.tidy(() =>
    torch
      .tensor(img.data, { shape: [img.height, img.width, img.channels] })
      .permute(2, 0, 1)
      .contiguous(),
  );
}

/** uint8 `[0, 255]` → float32 `[0, 1]` (the scaling of `ToTensor`). */
export function toFloat(img: Tensor): Tensor {
  return torch.tidy(() => img.float().div(255));
}

export function hflip(img: Tensor): Tensor {
  return img.flip(-1);
}

export function vflip(img: Tensor): Tensor {
  return img.flip(-2);
}

/** The `h × w` window at (`top`, `left`); parts outside the image are zero-filled as torchvision does. */
export function crop(img: Tensor, top: number, left: number, h: number, w: number): Tensor {
  return torch.tidy(() => {
    const H = img.shape[img.dim() - 2];
    const W = img.shape[img.dim() - 1];
    const t0 = Math.max(top, 0);
    const l0 = Math.max(left, 0);
    const b0 = Math.min(top + h, H);
    const r0 = Math.min(left + w, W);
    let out = img.narrow(-2, t0, Math.max(b0 - t0, 0)).narrow(-1, l0, Math.max(r0 - l0, 0));
    const pad = [l0 - left, left + w - r0, t0 - top, top + h - b0];
    if (pad.some((p) => p > 0))
      out = F.pad(
        out,
        pad.map((p) => Math.max(p, 0)),
      );
    return out.contiguous();
  });
}

/** Python's `round`: halves go to the even neighbour (4.5 → 4, 7.5 → 8). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The central `h × w` window, offsets rounded as torchvision (Python's `round`) does. */
export function centerCrop(img: Tensor, h: number, w: number): Tensor {
  const H = img.shape[img.dim() - 2];
  const W = img.shape[img.dim() - 1];
  return crop(img, roundHalfEven((H - h) / 2), roundHalfEven((W - w) / 2), h, w);
}

/**
 * Resampling filters: libtorch's three, and `lanczos`, which only torchvision's PIL path has
 * (Pillow's algorithm on uint8 images, always antialiased; see pil-resample.ts).
 */
export type Interpolation = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos';

/**
 * Whose arithmetic a transform reproduces: `tensor` (libtorch, as torchvision on tensors) or
 * `pillow` (Pillow's, on uint8 images, as torchvision on PIL images; MMSelfSup's `backend`).
 */
export type ImageBackend = 'tensor' | 'pillow';

/** Pillow's resize of uint8 `(C, H, W)` or `(N, C, H, W)` images. */
function pilResize(img: Tensor, size: [number, number], filter: PilFilter): Tensor {
  if (img.dtype !== 'uint8')
    throw new TypeError(`resize: ${filter} with Pillow's algorithm works on uint8 images, got ${img.dtype}`);
  const batched = img.dim() === 4;
  const [C, H, W] = img.shape.slice(-3);
  if (C !== 1 && C !== 3) throw new RangeError(`resize: Pillow's ${filter} needs 1 or 3 channels, got ${C}`);
  const N = batched ? img.shape[0] : 1;
  const [h, w] = size;
  const hwc = torch.tidy(() => (batched ? img : img.unsqueeze(0)).permute(0, 2, 3, 1).contiguous().toBytes());
  const out = new Uint8Array(N * C * h * w);
  for (let n = 0; n < N; n++) {
    const image = { data: hwc.subarray(n * H * W * C, (n + 1) * H * W * C), height: H, width: W, channels: C as 1 | 3 };
    pilResizedCropInto(image, [0, 0, H, W], h, w, filter, out, n * C * h * w);
  }
  return torch.tensor(out, { shape: batched ? [N, C, h, w] : [C, h, w], device: img.device });
}

/** The Pillow filter a resize uses, or null when it runs in libtorch. */
export function pilFilterOf(mode: Interpolation, backend: ImageBackend = 'tensor'): PilFilter | null {
  if (mode === 'lanczos') return 'lanczos';
  if (backend === 'tensor') return null;
  if (mode === 'nearest') throw new RangeError("resize: backend 'pillow' offers bilinear, bicubic and lanczos, not nearest");
  return mode;
}

/** Resizes to `[h, w]`; uint8 is computed in float and rounded back, as torchvision does. */
export function resize(
  img: Tensor,
  size: [number, number],
  o: { interpolation?: Interpolation; antialias?: boolean; backend?: ImageBackend } = {},
): Tensor {
  const mode = o.interpolation ?? 'bilinear';
  const pil = pilFilterOf(mode, o.backend);
  if (pil || mode === 'lanczos') return pilResize(img, size, pil ?? 'lanczos');
  return torch.tidy(() => {
    const batched = img.dim() === 4;
    const isInt = !img.isFloatingPoint();
    let x = batched ? img : img.unsqueeze(0);
    if (isInt) x = x.float();
    let y = F.interpolate(
      x,
      mode === 'nearest' ? { size, mode } : { size, mode, alignCorners: false, antialias: o.antialias ?? false },
    );
    if (mode === 'bicubic' && isInt) y = y.clamp({ min: 0, max: 255 });
    if (isInt) y = y.round().to(img.dtype);
    return batched ? y : y.squeeze(0);
  });
}

/** Crop then resize (`resized_crop`, what RandomResizedCrop applies). */
export function resizedCrop(
  img: Tensor,
  top: number,
  left: number,
  h: number,
  w: number,
  size: [number, number],
  o: { interpolation?: Interpolation; antialias?: boolean; backend?: ImageBackend } = {},
): Tensor {
  return torch.tidy(() => resize(crop(img, top, left, h, w), size, o));
}

/**
 * A factor for one image, or one per image of a batch `(N, C, H, W)`; per-image factors become an
 * `(N, 1, 1, 1)` tensor, which multiplies exactly as the scalar would (PyTorch computes
 * `tensor × float` in the tensor's float type).
 */
export type Factor = number | number[];

function factorOf(f: Factor, dtype: 'float32' | 'float64', device: torch.Device): Tensor | { float: number } {
  return typeof f === 'number' ? { float: f } : torch.tensor(f, { dtype, device }).view(-1, 1, 1, 1);
}

function checkFactor(f: Factor, name: string): void {
  for (const v of typeof f === 'number' ? [f] : f)
    if (!(v >= 0)) throw new RangeError(`${name} factor must be non-negative, got ${v}`);
}

/** ratio·img1 + (1 − ratio)·img2, clamped to the image range and cast back (truncating for uint8). */
function blend(img1: Tensor, img2: Tensor, ratio: Factor): Tensor {
  return torch.tidy(() => {
    const dtype = img1.dtype === 'float64' ? 'float64' : 'float32';
    // 1 − ratio in double precision, as Python computes it before the multiply.
    const inv = typeof ratio === 'number' ? 1 - ratio : ratio.map((r) => 1 - r);
    return img1
      .mul(factorOf(ratio, dtype, img1.device))
      .add(img2.mul(factorOf(inv, dtype, img1.device)))
      .clamp({ min: 0, max: bound(img1) })
      .to(img1.dtype);
  });
}

/** ITU-R 601-2 luma: 0.2989 R + 0.587 G + 0.114 B (truncated for uint8); 1 or 3 output channels. */
export function rgbToGrayscale(img: Tensor, numOutputChannels: 1 | 3 = 1): Tensor {
  return torch.tidy(() => {
    let l: Tensor;
    if (channels(img) === 3) {
      const [r, g, b] = img.unbind(-3);
      l = r
        .mul({ float: 0.2989 })
        .add(g.mul({ float: 0.587 }))
        .add(b.mul({ float: 0.114 }))
        .to(img.dtype)
        .unsqueeze(-3);
    } else {
      l = img.clone();
    }
    return numOutputChannels === 3 ? l.expand(img.shape).contiguous() : l;
  });
}

/** Scales intensities (factor per image allowed for a batch). */
export function adjustBrightness(img: Tensor, factor: Factor): Tensor {
  checkFactor(factor, 'brightness');
  return torch.tidy(() => blend(img, torch.zerosLike(img), factor));
}

/** Blends with the mean grey level of each image. */
export function adjustContrast(img: Tensor, factor: Factor): Tensor {
  checkFactor(factor, 'contrast');
  return torch.tidy(() => {
    const dtype = img.isFloatingPoint() ? img.dtype : 'float32';
    const grey = channels(img) === 3 ? rgbToGrayscale(img).to(dtype) : img.to(dtype);
    const mean = grey.mean([-3, -2, -1], { keepdim: true });
    return blend(img, mean, factor);
  });
}

/** Blends with the grey image (0: greyscale, 1: unchanged, > 1: more saturated). */
export function adjustSaturation(img: Tensor, factor: Factor): Tensor {
  checkFactor(factor, 'saturation');
  if (channels(img) === 1) return img.clone();
  return torch.tidy(() => blend(img, rgbToGrayscale(img), factor));
}

/** torchvision's `_rgb2hsv`, as its three planes `[h, s, v]` (no stacking: they are used apart). */
function rgbToHsv(img: Tensor): [Tensor, Tensor, Tensor] {
  const [r, g, b] = img.unbind(-3);
  const maxc = img.amax(-3);
  const minc = img.amin(-3);
  const eqc = maxc.eq(minc);
  const cr = maxc.sub(minc);
  const ones = torch.onesLike(maxc);
  const s = cr.div(torch.where(eqc, ones, maxc));
  const crDiv = torch.where(eqc, ones, cr);
  const rc = maxc.sub(r).div(crDiv);
  const gc = maxc.sub(g).div(crDiv);
  const bc = maxc.sub(b).div(crDiv);
  const isR = maxc.eq(r);
  const isG = maxc.eq(g).logicalAnd(maxc.ne(r));
  const isB = maxc.ne(g).logicalAnd(maxc.ne(r));
  const hr = isR.to(img.dtype).mul(bc.sub(gc));
  const hg = isG.to(img.dtype).mul(rc.sub(bc).add(2));
  const hb = isB.to(img.dtype).mul(gc.sub(rc).add(4));
  const h = torch.ops.aten.fmod.Scalar(hr.add(hg).add(hb).div(6).add(1), 1);
  return [h, s, maxc];
}

/** torchvision's `_hsv2rgb` from the three planes. */
function hsvToRgb(h: Tensor, s: Tensor, v: Tensor): Tensor {
  const i0 = h.mul(6).floor();
  const f = h.mul(6).sub(i0);
  const i = i0.to('int32').remainder(6);
  const p = v.mul(s.rsub(1)).clamp({ min: 0, max: 1 });
  const q = v.mul(s.mul(f).rsub(1)).clamp({ min: 0, max: 1 });
  const t = v.mul(s.mul(f.rsub(1)).rsub(1)).clamp({ min: 0, max: 1 });
  // torchvision sums a one-hot sector mask times the candidates (einsum); picking the sector's
  // candidate is the same number (x·1 + 0 + … is exact) at a fraction of the cost.
  const sector = i.to('int64').unsqueeze(-3);
  const pick = (cands: Tensor[]) => torch.stack(cands, -3).gather(-3, sector);
  return torch.cat([pick([v, q, p, p, t, v]), pick([t, v, v, q, p, p]), pick([p, p, t, v, v, q])], -3);
}

/** Shifts hue by `factor` of a full turn (in [−0.5, 0.5]) through HSV. */
export function adjustHue(img: Tensor, factor: Factor): Tensor {
  for (const f of typeof factor === 'number' ? [factor] : factor) {
    if (f < -0.5 || f > 0.5) throw new RangeError(`hue factor must be in [-0.5, 0.5], got ${f}`);
  }
  if (channels(img) === 1) return img.clone();
  return torch.tidy(() => {
    const isInt = !img.isFloatingPoint();
    const x = isInt ? img.float().div(255) : img;
    const [h, s, v] = rgbToHsv(x);
    const shift =
      typeof factor === 'number'
        ? h.add({ float: factor })
        : h.add(torch.tensor(factor, { dtype: h.dtype, device: h.device }).view(-1, 1, 1));
    const rgb = hsvToRgb(torch.ops.aten.remainder.Scalar(shift, 1), s, v);
    return isInt ? rgb.mul(255).to(img.dtype) : rgb;
  });
}

function gaussianKernel1d(size: number, sigma: number, device: torch.Device): Tensor {
  const half = (size - 1) * 0.5;
  const x = torch.linspace(-half, half, size, { device });
  const pdf = x.div(sigma).pow(2).mul(-0.5).exp();
  return pdf.div(pdf.sum());
}

/** Separable Gaussian blur with reflect padding (`kernelSize` odd, `[kx, ky]`; `sigma` `[sx, sy]`). */
export function gaussianBlur(img: Tensor, kernelSize: [number, number], sigma: [number, number]): Tensor {
  return blurWith(img, kernelSize, [sigma]);
}

/** Gaussian blur of a batch `(N, C, H, W)` with one isotropic σ per image (one grouped convolution). */
export function gaussianBlurBatch(batch: Tensor, kernelSize: [number, number], sigmas: number[]): Tensor {
  if (batch.dim() !== 4 || batch.shape[0] !== sigmas.length)
    throw new RangeError('gaussianBlurBatch: need an (N, C, H, W) batch and N sigmas');
  return blurWith(
    batch,
    kernelSize,
    sigmas.map((s): [number, number] => [s, s]),
  );
}

function blurWith(img: Tensor, kernelSize: [number, number], sigmas: [number, number][]): Tensor {
  for (const k of kernelSize) if (k <= 0 || k % 2 === 0) throw new RangeError(`kernel size must be positive and odd, got ${k}`);
  for (const s of sigmas.flat()) if (s <= 0) throw new RangeError(`sigma must be positive, got ${s}`);
  return torch.tidy(() => {
    const isInt = !img.isFloatingPoint();
    const batched = img.dim() === 4;
    let x = batched ? img : img.unsqueeze(0);
    if (isInt) x = x.float();
    const kernel2d = ([sx, sy]: [number, number]) => {
      const kx = gaussianKernel1d(kernelSize[0], sx, x.device).to(x.dtype);
      // Isotropic (the random blur's case): the same 1-D kernel, computed once.
      const ky = kernelSize[1] === kernelSize[0] && sy === sx ? kx : gaussianKernel1d(kernelSize[1], sy, x.device).to(x.dtype);
      return ky.view(-1, 1).mm(kx.view(1, -1));
    };
    const [n, c, h, w] = x.shape;
    const pad = [kernelSize[0] >> 1, kernelSize[0] >> 1, kernelSize[1] >> 1, kernelSize[1] >> 1];
    let y: Tensor;
    if (sigmas.length > 1) {
      const kernels = torch
        .stack(sigmas.map((s) => kernel2d(s).expand(c, kernelSize[1], kernelSize[0])))
        .reshape(n * c, 1, kernelSize[1], kernelSize[0]);
      y = F.conv2d(F.pad(x.reshape(1, n * c, h, w), pad, { mode: 'reflect' }), kernels, null, { groups: n * c }).reshape(
        n,
        c,
        h,
        w,
      );
    } else {
      const k2 = kernel2d(sigmas[0]);
      y = F.conv2d(F.pad(x, pad, { mode: 'reflect' }), k2.expand(c, 1, k2.shape[0], k2.shape[1]), null, { groups: c });
    }
    if (isInt) y = y.round().to(img.dtype);
    return batched ? y : y.squeeze(0);
  });
}

/** Inverts pixels at or above `threshold` (Solarize). */
export function solarize(img: Tensor, threshold: number): Tensor {
  return torch.tidy(() => torch.where(img.ge(threshold), img.rsub(bound(img)), img));
}

/** (x − mean) / std per channel on a float image. */
export function normalize(img: Tensor, mean: number[], std: number[]): Tensor {
  if (!img.isFloatingPoint()) throw new TypeError('normalize expects a float image (convert uint8 with toFloat first)');
  if (std.some((s) => s === 0)) throw new RangeError('normalize: std has a zero');
  return torch.tidy(() => {
    const shape = [mean.length, 1, 1];
    const on = { dtype: img.dtype, device: img.device };
    return img.sub(torch.tensor(mean, on).view(shape)).div(torch.tensor(std, on).view(shape));
  });
}

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/**
 * torchvision's `pad`: `padding` is one width for all sides, `[leftRight, topBottom]` or
 * `[left, top, right, bottom]`. `edge` repeats the border pixel, `reflect` mirrors without it,
 * `symmetric` mirrors with it; `fill` is the constant value. Non-constant modes run in float32 and
 * cast back (as torchvision does), which is exact for uint8.
 */
export function pad(img: Tensor, padding: number | number[], o: { fill?: number; paddingMode?: PaddingMode } = {}): Tensor {
  const [left, top, right, bottom] = padSides(padding);
  const mode = o.paddingMode ?? 'constant';
  const H = img.shape[img.dim() - 2];
  const W = img.shape[img.dim() - 1];
  if (mode === 'reflect' && (Math.max(left, right) >= W || Math.max(top, bottom) >= H))
    throw new RangeError(`pad: reflect padding (${[left, top, right, bottom]}) must be smaller than the image ${H}×${W}`);
  if (mode === 'symmetric' && (Math.max(left, right) > W || Math.max(top, bottom) > H))
    throw new RangeError(`pad: symmetric padding (${[left, top, right, bottom]}) must not exceed the image ${H}×${W}`);
  return torch.tidy(() => {
    if (mode === 'symmetric') {
      // Mirrored index lists, border pixel included: left [p−1 … 0], right [W−1 … W−p].
      const idx = (n: number, a: number, b: number) => [
        ...Array.from({ length: a }, (_, i) => a - 1 - i),
        ...Array.from({ length: n }, (_, i) => i),
        ...Array.from({ length: b }, (_, i) => n - 1 - i),
      ];
      return img
        .indexSelect(-1, torch.tensor(idx(W, left, right), { dtype: 'int64', device: img.device }))
        .indexSelect(-2, torch.tensor(idx(H, top, bottom), { dtype: 'int64', device: img.device }));
    }
    const batched = img.dim() === 4;
    let x = batched ? img : img.unsqueeze(0);
    const p = [left, right, top, bottom];
    if (mode === 'constant') x = F.pad(x, p, { value: o.fill ?? 0 });
    else {
      const cast = img.dtype !== 'float32' && img.dtype !== 'float64';
      x = F.pad(cast ? x.float() : x, p, { mode: mode === 'edge' ? 'replicate' : 'reflect' });
      if (cast) x = x.to(img.dtype);
    }
    return batched ? x : x.squeeze(0);
  });
}

/** `[left, top, right, bottom]` from torchvision's 1-, 2- or 4-number padding. */
export function padSides(padding: number | number[]): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding] : padding;
  let sides: [number, number, number, number];
  if (p.length === 1) sides = [p[0], p[0], p[0], p[0]];
  else if (p.length === 2) sides = [p[0], p[1], p[0], p[1]];
  else if (p.length === 4) sides = [p[0], p[1], p[2], p[3]];
  else throw new RangeError(`pad: padding must have 1, 2 or 4 numbers, got ${p.length}`);
  for (const s of sides)
    if (!Number.isInteger(s) || s < 0) throw new RangeError(`pad: padding must be non-negative integers, got ${p}`);
  return sides;
}
