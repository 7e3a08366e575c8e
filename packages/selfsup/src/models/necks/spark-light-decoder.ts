/**
 * mmpretrain's `SparKLightDecoder`, the hierarchical decoder of SparK (Tian et al. 2023,
 * "Designing BERT for Convolutional Networks: Sparse and Hierarchical Masked Modeling",
 * arXiv:2301.03580): log2(upsampleRatio) blocks, each a transposed conv that doubles the
 * resolution followed by conv-BN-ReLU6-conv-BN(-ReLU6) blocks halving the width; the densified
 * encoder map of each scale (mask tokens in the masked positions, projected to the block's width)
 * is added before the block of its resolution, and a 1×1 conv maps the last block to RGB.
 *
 * Input: the maps from the smallest `(N, featureDim, f, f)` to the largest
 * `(N, featureDim / 2^i, f·2^i, f·2^i)` (at most log2(upsampleRatio) of them); output
 * `[(N, 3, f·upsampleRatio, f·upsampleRatio)]`. Keys (mmpretrain's): `decoder.{i}.upsample.*`,
 * `decoder.{i}.conv_blocks.{j}.conv1.weight`, `….norm1.*`, `….conv2.weight`, `….norm2.*`, `proj.*`.
 */
import { nn, ops, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, nonNegInt, posInt, z } from '../../core/schema.js';
import { NECKS } from '../registries.js';

/** `SparKLightDecoder` options (everything but `type`). */
export const sparkLightDecoderSchema = z.strictObject({
  /** Width of the first (coarsest) block's input; each block halves it. */
  featureDim: posInt(),
  /** Total upsampling, a power of two (the encoder's downsample ratio, 32 for a ResNet). */
  upsampleRatio: posInt(),
  /** Width inside each conv block; 0 (default): the block's input width. */
  midChannels: nonNegInt().optional(),
  /** Transposed-conv kernel (default 4). */
  kernelSize: posInt().optional(),
  /** Transposed-conv stride, the upsampling of each block (default 2). */
  scaleFactor: posInt().optional(),
  /** Conv blocks after each upsampling (default 1). */
  numConvBlocks: posInt().optional(),
  /** ReLU6 after each block's second conv too (default false). */
  lastAct: bool().optional(),
});

export type SparKLightDecoderOptions = z.input<typeof sparkLightDecoderSchema>;

const relu6 = (x: Tensor) => ops.aten.hardtanh(x, 0, 6);

/** conv3×3-BN-ReLU6-conv3×3-BN(-ReLU6), mmpretrain's `ConvBlock2x`. */
class ConvBlock2x extends nn.Module {
  readonly conv1: nn.Conv2d;
  readonly norm1: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;
  readonly norm2: nn.BatchNorm2d;

  constructor(
    cin: number,
    cout: number,
    mid: number,
    readonly lastAct: boolean,
  ) {
    super();
    this.conv1 = this.registerModule('conv1', new nn.Conv2d(cin, mid, 3, { padding: 1, bias: false }));
    this.norm1 = this.registerModule('norm1', new nn.BatchNorm2d(mid));
    this.conv2 = this.registerModule('conv2', new nn.Conv2d(mid, cout, 3, { padding: 1, bias: false }));
    this.norm2 = this.registerModule('norm2', new nn.BatchNorm2d(cout));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const h = relu6(this.norm1.forward(this.conv1.forward(x)));
      const y = this.norm2.forward(this.conv2.forward(h));
      return this.lastAct ? relu6(y) : y;
    });
  }
}

/** Transposed-conv upsampling then conv blocks, mmpretrain's `DecoderConvModule`. */
class DecoderConvModule extends nn.Module {
  readonly upsample: nn.ConvTranspose2d;
  readonly convBlocks: nn.Sequential;

  constructor(cin: number, cout: number, mid: number, kernel: number, scale: number, blocks: number, lastAct: boolean) {
    super();
    this.upsample = this.registerModule(
      'upsample',
      new nn.ConvTranspose2d(cin, cin, kernel, { stride: scale, padding: (kernel - scale) / 2 }),
    );
    const list = Array.from({ length: blocks }, () => new ConvBlock2x(cin, cout, mid, lastAct));
    this.convBlocks = this.registerModule('conv_blocks', new nn.Sequential(...list));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.convBlocks.forward(this.upsample.forward(x)));
  }
}

/** SparK's light decoder: `[(N, featureDim/2^i, f·2^i, f·2^i)]` (coarsest first) → `[(N, 3, H, W)]`. */
export class SparKLightDecoder extends nn.Module<[Tensor[]], Tensor[]> {
  readonly featureDim: number;
  readonly upsampleRatio: number;
  /** Input width of each block (featureDim / 2^i) and, last, of the output projection. */
  readonly channels: number[];
  readonly decoder: nn.ModuleList<DecoderConvModule>;
  readonly proj: nn.Conv2d;

  constructor(o: SparKLightDecoderOptions) {
    super();
    const r = o.upsampleRatio;
    if (r < 2 || (r & (r - 1)) !== 0)
      throw new RangeError(`SparKLightDecoder: upsampleRatio must be a power of two ≥ 2, got ${r}`);
    const kernel = o.kernelSize ?? 4;
    const scale = o.scaleFactor ?? 2;
    if (kernel < scale || (kernel - scale) % 2 !== 0)
      throw new RangeError(`SparKLightDecoder: kernelSize (${kernel}) must be ≥ scaleFactor (${scale}) with an even difference`);
    const n = Math.round(Math.log2(r));
    this.featureDim = o.featureDim;
    this.upsampleRatio = r;
    this.channels = Array.from({ length: n + 1 }, (_, i) => Math.floor(o.featureDim / 2 ** i));
    if (this.channels[n] < 1)
      throw new RangeError(`SparKLightDecoder: featureDim ${o.featureDim} cannot be halved ${n} times (upsampleRatio ${r})`);
    const mid = o.midChannels ?? 0;
    this.decoder = this.registerModule(
      'decoder',
      new nn.ModuleList(
        this.channels
          .slice(0, n)
          .map(
            (cin, i) =>
              new DecoderConvModule(
                cin,
                this.channels[i + 1],
                mid === 0 ? cin : mid,
                kernel,
                scale,
                o.numConvBlocks ?? 1,
                o.lastAct ?? false,
              ),
          ),
      ),
    );
    this.proj = this.registerModule('proj', new nn.Conv2d(this.channels[n], 3, 1));
    this.initWeights();
  }

  /** mmpretrain's init: Kaiming-normal (fan_out, ReLU) convs and transposed convs with zero bias, BN γ = 1, β = 0. */
  initWeights(): void {
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d || m instanceof nn.ConvTranspose2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.BatchNorm2d) {
        if (m.weight) nn.init.ones_(m.weight);
        if (m.bias) nn.init.zeros_(m.bias);
      }
    }
  }

  forward(toDec: Tensor[]): Tensor[] {
    const n = this.decoder.length;
    if (toDec.length === 0 || toDec.length > n)
      throw new RangeError(`SparKLightDecoder: expected 1 to ${n} feature maps (coarsest first), got ${toDec.length}`);
    toDec.forEach((t, i) => {
      if (t.dim() !== 4 || t.shape[1] !== this.channels[i])
        throw new RangeError(
          `SparKLightDecoder: map ${i} must have featureDim/2^${i} = ${this.channels[i]} channels, got [${t.shape}]`,
        );
    });
    return tidy(() => {
      let x = toDec[0];
      for (let i = 0; i < n; i++) {
        if (i > 0 && i < toDec.length) x = x.add(toDec[i]);
        x = this.decoder.at(i).forward(x);
      }
      return [this.proj.forward(x)];
    });
  }

  override extraRepr(): string {
    return `feature_dim=${this.featureDim}, upsample_ratio=${this.upsampleRatio}`;
  }
}

/** `SparKLightDecoder` in NECKS. */
export const sparkLightDecoderPart = definePart({
  registry: NECKS,
  name: 'SparKLightDecoder',
  schema: sparkLightDecoderSchema,
  description: "SparK's hierarchical decoder: upsampling conv blocks adding each scale's densified map, then RGB",
  build: (o) => new SparKLightDecoder(o),
});
