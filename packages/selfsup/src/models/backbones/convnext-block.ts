/**
 * The pieces of ConvNeXt (Liu et al. 2022, "A ConvNet for the 2020s", arXiv:2201.03545) and
 * ConvNeXt V2 (Woo et al. 2023, "ConvNeXt V2: Co-designing and Scaling ConvNets with Masked
 * Autoencoders", arXiv:2301.00808) as mmpretrain defines them: `LayerNorm2d` (mmpretrain's `LN2d`,
 * a LayerNorm over the channels of `(N, C, H, W)` or `(N, H, W, C)` maps), `GRN` (Global Response
 * Normalisation) and `ConvNeXtBlock`, with mmpretrain's state-dict keys.
 *
 * Each takes an optional `SparseActiveMask` (SparK's sparse encoding, `sparse-modules.ts`): with a
 * mask set, norms zero their output on masked positions (a LayerNorm is per position, so this is
 * LayerNorm over the visible positions only, as mmpretrain's `SparseLN2d` computes it by gathering
 * them) and the block's residual branch is zeroed there too (mmpretrain's `SparseConvNeXtBlock`).
 */
import { consume, nn, type Tensor, tidy, zeros } from '@selfsup/torch';
import { type SparseActiveMask, SparseConv2d } from './sparse-modules.js';

/** LayerNorm over the channels of 2-D maps (mmpretrain's `LN2d`); keys `weight`, `bias`. */
export class LayerNorm2d extends nn.LayerNorm {
  constructor(
    readonly numChannels: number,
    eps = 1e-6,
  ) {
    super(numChannels, { eps });
  }

  /** `(N, C, H, W)` → the same, each position's C values normalised. */
  override forward(x: Tensor): Tensor {
    if (x.dim() !== 4) throw new RangeError(`LayerNorm2d: expected (N, C, H, W), got [${x.shape}]`);
    return tidy(() =>
      this.forwardChannelsLast(x.permute(0, 2, 3, 1))
        .permute(0, 3, 1, 2)
        .contiguous(),
    );
  }

  /** `(N, H, W, C)` → the same (mmpretrain's `data_format='channel_last'`). */
  forwardChannelsLast(x: Tensor): Tensor {
    if (x.dim() !== 4 || x.shape[3] !== this.numChannels)
      throw new RangeError(`LayerNorm2d: expected (N, H, W, ${this.numChannels}), got [${x.shape}]`);
    return super.forward(x);
  }
}

/**
 * `LayerNorm2d` that is zero on the masked positions while `active` holds a mask (mmpretrain's
 * `SparseLN2d`); without one it is the dense `LayerNorm2d`. Same keys.
 */
export class SparseLayerNorm2d extends LayerNorm2d {
  constructor(
    readonly active: SparseActiveMask,
    numChannels: number,
    eps = 1e-6,
  ) {
    super(numChannels, eps);
  }

  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = super.forward(x);
      const m = this.active.at(y, 'SparseLayerNorm2d');
      return m ? y.mul(m) : y;
    });
  }

  override forwardChannelsLast(x: Tensor): Tensor {
    return tidy(() => {
      const y = super.forwardChannelsLast(x);
      // The mask is laid out channels-first; the permuted view only lends it the spatial sizes.
      const m = this.active.at(y.permute(0, 3, 1, 2), 'SparseLayerNorm2d');
      return m ? y.mul(m.permute(0, 2, 3, 1)) : y;
    });
  }
}

/**
 * Global Response Normalisation (ConvNeXt V2): each channel's L2 norm over the spatial positions,
 * divided by its mean over channels, rescales the features: `γ·(x·nx) + β + x`. γ and β start at
 * zero, so a fresh GRN is the identity. Keys `gamma`, `beta` (C).
 */
export class GRN extends nn.Module {
  readonly gamma: Tensor;
  readonly beta: Tensor;

  constructor(
    readonly inChannels: number,
    readonly eps = 1e-6,
  ) {
    super();
    this.gamma = this.registerParameter('gamma', zeros([inChannels]));
    this.beta = this.registerParameter('beta', zeros([inChannels]));
  }

  /** `(N, C, H, W)` → the same. */
  forward(x: Tensor): Tensor {
    return tidy(() => this.forwardChannelsLast(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2));
  }

  /** `(N, H, W, C)` → the same. */
  forwardChannelsLast(x: Tensor): Tensor {
    if (x.dim() !== 4 || x.shape[3] !== this.inChannels)
      throw new RangeError(`GRN: expected (N, H, W, ${this.inChannels}), got [${x.shape}]`);
    return tidy(() => {
      const gx = x.norm(2, [1, 2], { keepdim: true });
      const nx = gx.div(gx.mean(-1, { keepdim: true }).add(this.eps));
      return x.mul(nx).mul(this.gamma).add(this.beta).add(x);
    });
  }
}

/** `ConvNeXtBlock` settings. */
export interface ConvNeXtBlockOptions {
  /** Hidden width of the pointwise MLP, as a multiple of the channels. Default 4. */
  mlpRatio?: number;
  /** Pointwise convs as Linear layers on `(N, H, W, C)` (mmpretrain's default) rather than 1×1 convs. Default true. */
  linearPwConv?: boolean;
  /** Stochastic depth of the residual branch. Default 0. */
  dropPath?: number;
  /** Initial layer scale γ; 0 disables it (no `gamma` key; ConvNeXt V2). Default 1e-6. */
  layerScaleInitValue?: number;
  /** GRN after the activation (ConvNeXt V2). Default false. */
  useGrn?: boolean;
  /** SparK's sparse encoding: sparse convs and norms, and the residual branch zeroed on masked positions. */
  active?: SparseActiveMask | null;
}

/**
 * One ConvNeXt block on `(N, C, H, W)`: depthwise 7×7 conv → LayerNorm → pointwise C→4C → GELU
 * (→ GRN) → pointwise 4C→C → layer scale γ → drop path, added to the input. Keys:
 * `depthwise_conv`, `norm`, `pointwise_conv1`, `pointwise_conv2`, `grn`, `gamma`.
 */
export class ConvNeXtBlock extends nn.Module {
  readonly depthwiseConv: nn.Conv2d;
  readonly norm: LayerNorm2d;
  readonly pointwiseConv1: nn.Linear | nn.Conv2d;
  readonly act: nn.GELU;
  readonly pointwiseConv2: nn.Linear | nn.Conv2d;
  readonly grn: GRN | null;
  readonly gamma: Tensor | null;
  readonly dropPath: nn.DropPath | nn.Identity;
  readonly linearPwConv: boolean;
  readonly active: SparseActiveMask | null;

  constructor(
    readonly inChannels: number,
    o: ConvNeXtBlockOptions = {},
  ) {
    super();
    const c = inChannels;
    const mid = Math.floor((o.mlpRatio ?? 4) * c);
    this.active = o.active ?? null;
    this.linearPwConv = o.linearPwConv ?? true;
    const conv = (i: number, out: number, k: number, opts: nn.Conv2dOptions) =>
      this.active ? new SparseConv2d(this.active, i, out, k, opts) : new nn.Conv2d(i, out, k, opts);
    this.depthwiseConv = this.registerModule('depthwise_conv', conv(c, c, 7, { padding: 3, groups: c }));
    this.norm = this.registerModule('norm', this.active ? new SparseLayerNorm2d(this.active, c) : new LayerNorm2d(c));
    const pw = (i: number, out: number) => (this.linearPwConv ? new nn.Linear(i, out) : conv(i, out, 1, {}));
    this.pointwiseConv1 = this.registerModule('pointwise_conv1', pw(c, mid));
    this.act = this.registerModule('act', new nn.GELU());
    this.pointwiseConv2 = this.registerModule('pointwise_conv2', pw(mid, c));
    this.grn = this.registerModule('grn', o.useGrn ? new GRN(mid) : null);
    const ls = o.layerScaleInitValue ?? 1e-6;
    this.gamma = this.registerParameter('gamma', ls > 0 ? zeros([c]).fill_(ls) : null);
    const dp = o.dropPath ?? 0;
    this.dropPath = this.registerModule('drop_path', dp > 0 ? new nn.DropPath(dp) : new nn.Identity());
  }

  forward(x: Tensor): Tensor {
    if (x.dim() !== 4 || x.shape[1] !== this.inChannels)
      throw new RangeError(`ConvNeXtBlock: expected (N, ${this.inChannels}, H, W), got [${x.shape}]`);
    // Each intermediate is freed once the next op has read it (autograd keeps what it saved): an
    // eval pass holds one block's working set, not all seven of its maps, as PyTorch's does.
    return tidy(() => {
      let y = this.depthwiseConv.forward(x);
      const grn = this.grn;
      if (this.linearPwConv) {
        y = consume(y, (t) => t.permute(0, 2, 3, 1));
        y = consume(y, (t) => this.norm.forwardChannelsLast(t));
        y = consume(y, (t) => this.pointwiseConv1.forward(t));
        y = consume(y, (t) => this.act.forward(t));
        if (grn) y = consume(y, (t) => grn.forwardChannelsLast(t));
        y = consume(y, (t) => this.pointwiseConv2.forward(t));
        y = consume(y, (t) => t.permute(0, 3, 1, 2));
      } else {
        y = consume(y, (t) => this.norm.forward(t));
        y = consume(y, (t) => this.pointwiseConv1.forward(t));
        y = consume(y, (t) => this.act.forward(t));
        if (grn) y = consume(y, (t) => grn.forward(t));
        y = consume(y, (t) => this.pointwiseConv2.forward(t));
      }
      const gamma = this.gamma;
      if (gamma) y = consume(y, (t) => t.mul(gamma.view(1, -1, 1, 1)));
      const m = this.active?.at(y, 'SparseConvNeXtBlock');
      if (m) y = consume(y, (t) => t.mul(m));
      return consume(y, (t) => x.add(this.dropPath.forward(t)));
    });
  }
}
