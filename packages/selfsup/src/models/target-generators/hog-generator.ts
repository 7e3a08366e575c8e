/**
 * MMSelfSup's `HOGGenerator`: the Histogram-of-Oriented-Gradients targets of MaskFeat (Wei et al.
 * 2022, "Masked Feature Prediction for Self-Supervised Visual Pre-Training", arXiv:2112.09133;
 * Dalal & Triggs 2005 for HOG), computed as MMSelfSup 1.x (after SlowFast's `HOGLayerC`) does:
 *
 * 1. per channel, horizontal and vertical Sobel responses `gx`, `gy` (the fixed kernel
 *    [[1, 0, −1], [2, 0, −2], [1, 0, −1]] and its transpose, cross-correlated over the image with
 *    1-pixel reflect padding, one group per channel);
 * 2. magnitude √(gx² + gy²), weighted by a normalised 2-D Gaussian of side `gaussianWindow`
 *    (σ = ⌊gaussianWindow / 2⌋) tiled over the image;
 * 3. orientation bin ⌊atan2(gx, gy) / π · nbins⌋ mod nbins (unsigned: opposite gradients share a bin);
 * 4. the weighted magnitudes summed per bin over `pool × pool` cells, each cell's histogram
 *    L2-normalised per channel;
 * 5. the cells of each `patchSize × patchSize` patch gathered into that patch's target.
 *
 * Input: `(N, 3, H, W)` images (MaskFeat passes the preprocessed, normalised ones), H and W
 * multiples of `patchSize` and of `gaussianWindow`. Output: `(N, L, 3·nbins·u²)` with
 * `u = patchSize / pool` and L = (H/patchSize)·(W/patchSize) patches in row-major order (the ViT's
 * token order); a target's entries are ordered (channel, bin, cell row, cell column). At 224 px with
 * the defaults that is 196 patches of 3·9·2² = 108 values, as MMSelfSup.
 *
 * One generalisation: MMSelfSup takes the patch grid to be 14 × 14 (`unfold_size = cells // 14`),
 * which holds for its 224-px recipe only; here the patch side is the `patchSize` option (default 16,
 * which gives MMSelfSup's numbers at 224 px), so other image and patch sizes work.
 *
 * Buffers (MMSelfSup's state-dict keys): `weight_x`, `weight_y` `(3, 1, 3, 3)` and
 * `gaussian_kernel` `(gaussianWindow, gaussianWindow)`.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { nonNegInt, posInt, z } from '../../core/schema.js';
import { TARGET_GENERATORS } from '../registries.js';

const { F } = torch;

/** `HOGGenerator` options (everything but `type`); MMSelfSup's names, camelCased. */
export const hogGeneratorSchema = z.strictObject({
  /** Orientation bins over [0, π). Default 9. */
  nbins: posInt().optional(),
  /** Cell side in pixels (histograms are summed over `pool × pool` cells). Default 8. */
  pool: posInt().optional(),
  /** Side of the Gaussian weighting window (σ = ⌊side / 2⌋), tiled over the image; 0 for none. Default 16. */
  gaussianWindow: nonNegInt().optional(),
  /** Side in pixels of the patch a target describes (the ViT's patch), a multiple of `pool`. Default 16. */
  patchSize: posInt().optional(),
});

export type HOGGeneratorOptions = z.input<typeof hogGeneratorSchema>;

/** The RGB channels MMSelfSup's fixed gradient kernels are made for. */
const CHANNELS = 3;

/**
 * MMSelfSup's Gaussian window: n = 0…k−1 centred on their mean, w = exp(−½(n/σ)²), the outer
 * product normalised to sum 1 (computed in float32 with the same operations, so the buffer is
 * MMSelfSup's to the last bit).
 */
function gaussianKernel(side: number, std: number): Tensor {
  return torch.tidy(() => {
    const n = torch.arange(0, side, 1, { dtype: 'float32' });
    const w = n.sub(n.mean()).div(std).square().mul(-0.5).exp();
    const k = w.unsqueeze(1).mul(w.unsqueeze(0));
    return k.div(k.sum());
  });
}

/** HOG targets per patch: `(N, 3, H, W)` images → `(N, L, 3·nbins·(patchSize/pool)²)`. */
export class HOGGenerator extends nn.Module<[Tensor], Tensor> {
  readonly nbins: number;
  readonly pool: number;
  readonly gaussianWindow: number;
  readonly patchSize: number;
  /** Cells per patch side: `patchSize / pool`. */
  readonly unfoldSize: number;
  readonly weightX: Tensor;
  readonly weightY: Tensor;
  readonly gaussianKernel: Tensor | null;

  constructor(o: HOGGeneratorOptions = {}) {
    super();
    this.nbins = o.nbins ?? 9;
    this.pool = o.pool ?? 8;
    this.gaussianWindow = o.gaussianWindow ?? 16;
    this.patchSize = o.patchSize ?? 16;
    if (this.patchSize % this.pool !== 0)
      throw new RangeError(`HOGGenerator: patchSize ${this.patchSize} must be a multiple of the cell size pool ${this.pool}`);
    this.unfoldSize = this.patchSize / this.pool;
    const sobel = [1, 0, -1, 2, 0, -2, 1, 0, -1];
    const wx = torch.tensor(Array.from({ length: CHANNELS }, () => sobel).flat(), {
      shape: [CHANNELS, 1, 3, 3],
      dtype: 'float32',
    });
    this.weightX = this.registerBuffer('weight_x', wx);
    this.weightY = this.registerBuffer(
      'weight_y',
      torch.tidy(() => wx.transpose(2, 3).contiguous()),
    );
    this.gaussianKernel = this.registerBuffer(
      'gaussian_kernel',
      this.gaussianWindow ? gaussianKernel(this.gaussianWindow, Math.floor(this.gaussianWindow / 2)) : null,
    );
  }

  private check(x: Tensor): void {
    if (x.dim() !== 4 || x.shape[1] !== CHANNELS)
      throw new RangeError(`HOGGenerator: expected (N, ${CHANNELS}, H, W) images, got shape [${x.shape}]`);
    const [, , h, w] = x.shape;
    if (h % this.patchSize !== 0 || w % this.patchSize !== 0)
      throw new RangeError(`HOGGenerator: image size ${h}x${w} is not a multiple of patchSize ${this.patchSize}`);
    const g = this.gaussianWindow;
    if (g && (h % g !== 0 || w % g !== 0))
      throw new RangeError(`HOGGenerator: image size ${h}x${w} is not a multiple of gaussianWindow ${g}`);
    if (x.dtype !== this.weightX.dtype)
      throw new TypeError(`HOGGenerator: images are ${x.dtype} but the generator is ${this.weightX.dtype} (cast it with .to())`);
  }

  /**
   * Steps 1–4: the L2-normalised orientation histogram of every cell, `(N, 3, nbins, H/pool, W/pool)`.
   * No gradient flows (the targets are fixed).
   */
  cellHistograms(x: Tensor): Tensor {
    this.check(x);
    return torch.noGrad(() =>
      torch.tidy(() => {
        const [n, c, h, w] = x.shape;
        const padded = F.pad(x, [1, 1, 1, 1], { mode: 'reflect' });
        const gx = F.conv2d(padded, this.weightX, null, { groups: c });
        const gy = F.conv2d(padded, this.weightY, null, { groups: c });
        let magnitude = gx.square().add(gy.square()).sqrt();
        if (this.gaussianKernel) {
          const g = this.gaussianWindow;
          magnitude = magnitude.mul(this.gaussianKernel.repeat(h / g, w / g));
        }
        // atan2(gx, gy) in (−π, π] scaled to (−nbins, nbins]; the modulo folds opposite directions together.
        const phase = torch.ops.aten.atan2(gx, gy).div(Math.PI).mul(this.nbins);
        const bin = phase.floor().long().remainder(this.nbins);
        const hist = torch
          .zeros([n, c, this.nbins, h, w], { dtype: x.dtype, device: x.device })
          .scatterAdd_(2, bin.unsqueeze(2), magnitude.unsqueeze(2));
        const p = this.pool;
        const cells = hist.view(n, c, this.nbins, h / p, p, w / p, p).sum([4, 6]);
        return F.normalize(cells, { p: 2, dim: 2 });
      }),
    );
  }

  /** The HOG target of every patch: `(N, 3, H, W)` → `(N, L, 3·nbins·u²)`. */
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const hist = this.cellHistograms(x);
      const [n, c, b, hc, wc] = hist.shape;
      const u = this.unfoldSize;
      const [gh, gw] = [hc / u, wc / u];
      return hist
        .view(n, c * b, gh, u, gw, u)
        .permute(0, 2, 4, 1, 3, 5)
        .reshape(n, gh * gw, c * b * u * u);
    });
  }

  /** Values per patch target: 3·nbins·(patchSize/pool)². */
  get outChannels(): number {
    return CHANNELS * this.nbins * this.unfoldSize * this.unfoldSize;
  }

  override extraRepr(): string {
    return `nbins=${this.nbins}, pool=${this.pool}, gaussianWindow=${this.gaussianWindow}, patchSize=${this.patchSize}`;
  }
}

/** `HOGGenerator` in TARGET_GENERATORS. */
export const hogGeneratorPart = definePart({
  registry: TARGET_GENERATORS,
  name: 'HOGGenerator',
  schema: hogGeneratorSchema,
  description: 'HOG features per patch (MaskFeat): Sobel gradients, Gaussian-weighted orientation histograms per cell',
  build: (o) => new HOGGenerator(o),
});
