/**
 * Rotation with torchvision's tensor semantics (`transforms.functional.rotate` on tensors, and
 * `RandomRotation`, which MMSelfSup registers with torchvision's options: degrees, interpolation,
 * expand, center, fill): the inverse rotation matrix of `_get_inverse_affine_matrix`, a sampling
 * grid from `_gen_affine_grid`, `grid_sample` with zero padding, and the fill colour blended in
 * through a sampled mask channel. uint8 images are sampled in float32 and rounded back. Images are
 * `(C, H, W)` or `(N, C, H, W)` (one angle per image).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { type Augmentation, AugmentationTransform, dims } from './augmentation.js';
import type { Transform } from './random.js';

export interface RotateOptions {
  /** 'nearest' (default) or 'bilinear' (torchvision's tensor rotate has no other). */
  interpolation?: 'nearest' | 'bilinear';
  /** Grow the output to hold the whole rotated image (default false). */
  expand?: boolean;
  /** Centre of rotation `[x, y]` in pixels (default the image centre). */
  center?: [number, number];
  /** Fill of the area outside the rotated image, one value or one per channel; none leaves zeros from the sampler. */
  fill?: number | number[];
}

/** torchvision's `_get_inverse_affine_matrix(center, angle, [0, 0], 1, [0, 0])` for a pure rotation. */
function inverseRotation(center: [number, number], angle: number): number[] {
  const rot = angle * (Math.PI / 180);
  const [cx, cy] = center;
  // With no shear the rotation–shear product is the rotation itself: [cos, sin; −sin, cos] inverted.
  const m = [Math.cos(rot), Math.sin(rot), 0, -Math.sin(rot), Math.cos(rot), 0];
  m[2] += m[0] * -cx + m[1] * -cy;
  m[5] += m[3] * -cx + m[4] * -cy;
  m[2] += cx;
  m[5] += cy;
  return m;
}

/** torchvision's `_compute_affine_output_size`: the rotated corners' bounds, to 1e-4, in float32. */
function expandedSize(matrix: number[], w: number, h: number): [number, number] {
  return torch.tidy(() => {
    const pts = torch.tensor(
      [
        [-0.5 * w, -0.5 * h, 1],
        [-0.5 * w, 0.5 * h, 1],
        [0.5 * w, 0.5 * h, 1],
        [0.5 * w, -0.5 * h, 1],
      ],
      { dtype: 'float32' },
    );
    const theta = torch.tensor(matrix, { dtype: 'float32' }).view(2, 3);
    const p = pts.matmul(theta.transpose(0, 1));
    const half = torch.tensor([w * 0.5, h * 0.5], { dtype: 'float32' });
    const tol = 1e-4;
    const max = p.amax(0).add(half).div(tol).trunc().mul(tol).ceil();
    const min = p.amin(0).add(half).div(tol).trunc().mul(tol).floor();
    const size = max.sub(min).toList() as number[];
    return [Math.trunc(size[0]), Math.trunc(size[1])];
  });
}

/**
 * Rotates counter-clockwise by `angles[i]` degrees (one per image, or one for a single image) as
 * torchvision's `F.rotate` on tensors does.
 */
export function rotate(img: Tensor, angles: number | number[], o: RotateOptions = {}): Tensor {
  const batched = img.dim() === 4;
  if (img.dim() !== 3 && !batched)
    throw new RangeError(`rotate: expected (C, H, W) or (N, C, H, W), got ${JSON.stringify(img.shape)}`);
  const list = typeof angles === 'number' ? [angles] : angles;
  const n = batched ? img.shape[0] : 1;
  if (list.length !== n) throw new RangeError(`rotate: ${list.length} angles for ${n} images`);
  const mode = o.interpolation ?? 'nearest';
  const [h, w] = dims(img);
  const c = img.shape[img.dim() - 3];
  const center: [number, number] = o.center ? [o.center[0] - w * 0.5, o.center[1] - h * 0.5] : [0, 0];
  // torchvision rotates by −angle in its affine convention (its matrices map output to input).
  const matrices = list.map((a) => inverseRotation(center, -a));
  let [ow, oh] = [w, h];
  if (o.expand) {
    const sizes = new Set(matrices.map((m) => expandedSize(m, w, h).join('×')));
    if (sizes.size > 1) throw new RangeError('rotate: expand with different output sizes in one batch; rotate images one by one');
    [ow, oh] = expandedSize(matrices[0], w, h);
  }
  const fill =
    o.fill === undefined ? null : typeof o.fill === 'number' ? Array.from({ length: c }, () => o.fill as number) : o.fill;
  if (fill && fill.length !== c && fill.length !== 1)
    throw new RangeError(`rotate: fill has ${fill.length} values for ${c}-channel images`);
  return torch.tidy(() => {
    const dtype = img.dtype === 'float64' ? 'float64' : 'float32';
    const on: torch.TensorOptions = { dtype, device: img.device };
    const theta = torch.tensor(matrices.flat(), on).view(n, 2, 3);
    // `_gen_affine_grid`: pixel centres in [−size/2, size/2], then theta scaled to [−1, 1] coordinates.
    const xs = torch
      .linspace(-ow * 0.5 + 0.5, ow * 0.5 + 0.5 - 1, ow, { device: img.device })
      .to(dtype)
      .view(1, ow)
      .expand(oh, ow);
    const ys = torch
      .linspace(-oh * 0.5 + 0.5, oh * 0.5 + 0.5 - 1, oh, { device: img.device })
      .to(dtype)
      .view(oh, 1)
      .expand(oh, ow);
    const base = torch
      .stack([xs, ys, torch.onesLike(xs)], -1)
      .view(1, oh * ow, 3)
      .expand(n, oh * ow, 3);
    const scaled = theta.transpose(1, 2).div(torch.tensor([0.5 * w, 0.5 * h], on));
    const grid = base.bmm(scaled).view(n, oh, ow, 2);
    let x = (batched ? img : img.unsqueeze(0)).to(dtype);
    if (fill) x = torch.cat([x, torch.ones([n, 1, h, w], on)], 1);
    let y = torch.ops.aten.grid_sampler.default(x, grid, mode === 'nearest' ? 1 : 0, 0, false);
    if (fill) {
      const mask = y.narrow(1, c, 1).expand(n, c, oh, ow);
      y = y.narrow(1, 0, c);
      const fillImg = torch.tensor(fill, on).view(1, fill.length, 1, 1).expand(n, c, oh, ow);
      y = mode === 'nearest' ? torch.where(mask.lt(0.5), fillImg, y) : y.mul(mask).add(mask.rsub(1).mul(fillImg));
    }
    if (!batched) y = y.squeeze(0);
    return img.isFloatingPoint() ? y.to(img.dtype) : y.round().to(img.dtype);
  });
}

export interface RandomRotationOptions extends RotateOptions {
  /** Angles ~ U[−d, d] for a number d ≥ 0, or U[min, max]. */
  degrees: number | [number, number];
}

/** torchvision's (and MMSelfSup's) RandomRotation: an angle ~ U(degrees) per image, then `rotate`. */
export class RandomRotation extends AugmentationTransform<number> implements Transform {
  readonly degrees: [number, number];
  protected readonly augmentation: Augmentation<number>;

  constructor(readonly o: RandomRotationOptions) {
    super();
    const d = o.degrees;
    if (typeof d === 'number') {
      if (!(d >= 0)) throw new RangeError(`RandomRotation: degrees must be non-negative when a single number, got ${d}`);
      this.degrees = [-d, d];
    } else {
      if (!(d.length === 2 && d[0] <= d[1]))
        throw new RangeError(`RandomRotation: degrees must be [min, max], got ${JSON.stringify(d)}`);
      this.degrees = [d[0], d[1]];
    }
    if (o.expand && o.center) throw new RangeError('RandomRotation: expand conflicts with center');
    // RandomRotation always hands torchvision a fill list (default 0), so its mask path always runs.
    const opts: RotateOptions = { ...o, fill: o.fill ?? 0 };
    this.augmentation = {
      sample: (rng) => rng.uniform(this.degrees[0], this.degrees[1]),
      reference: (img, angle) => rotate(img, angle, opts),
      // Expanded outputs differ in size from image to image: no batched form then.
      kernels: o.expand ? {} : { batch: (batch, angles) => rotate(batch, angles as number[], opts) },
    };
  }
}
