/**
 * SparK, "Designing BERT for Convolutional Networks: Sparse and Hierarchical Masked Modeling"
 * (Tian et al. 2023, arXiv:2301.03580), as mmpretrain's `SparK`:
 *
 * 1. a random `1 − maskRatio` of the `f × f` patches (f = inputSize / downsampleRatio) is kept
 *    per image (`torch.rand(N, f²)`'s argsort, as mmpretrain draws it), the others are zeroed;
 * 2. a sparse encoder (`SparseResNet`, `SparseConvNeXt`) encodes the visible patches only, returning one map per
 *    stage (coarsest `(N, encDecNormDim, f, f)`, then twice the size and half the width each);
 * 3. each map, coarsest first, goes through a sparse norm (`enc_dec_norms.{i}`: BN, or LayerNorm
 *    with `encDecNormCfg: { type: 'SparseLN2d' }` as the ConvNeXt recipes), gets the scale's
 *    learnable `mask_tokens.{i}` `(1, C, 1, 1)` in its masked positions (densifying), and a
 *    projector (`enc_dec_projectors.{i}`: 1×1 conv at the coarsest scale, 3×3 below, or nothing
 *    where the widths already agree) to the decoder's width at that scale;
 * 4. `SparKLightDecoder` reconstructs the image, and `SparKPretrainHead` regresses the
 *    per-patch normalised pixels of the masked patches (L2).
 *
 * One view `(N, 3, inputSize, inputSize)`: `views[0]`. Keys: `backbone.*` (ResNet's, so the
 * encoder loads into a plain ResNet), `neck.*`, `enc_dec_norms.*`, `enc_dec_projectors.*`,
 * `mask_tokens.{i}`. mmpretrain's `downsample_raito` is spelled `downsampleRatio` here.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, posNum, z } from '../../core/schema.js';
import { isSparseEncoder, type SparseEncoder } from '../backbones/sparse-resnet.js';
import { SparseLayerNorm2d } from '../backbones/convnext-block.js';
import { SparseActiveMask, SparseBatchNorm2d } from '../backbones/sparse-modules.js';
import { patchify, unpatchify } from '../heads/mae-pretrain-head.js';
import { SparKPretrainHead } from '../heads/spark-head.js';
import { SparKLightDecoder } from '../necks/spark-light-decoder.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import { denormalizeImages, type Reconstruction, type Reconstructor } from './reconstruction.js';

/** `SparK` options (everything but `type`). */
export const sparkSchema = z.strictObject({
  ...baseModelShape,
  /** Image size the masks are drawn for (default 224). */
  inputSize: posInt().optional(),
  /** The encoder's total stride, the patch size of the masks (default 32). */
  downsampleRatio: posInt().optional(),
  /** Fraction of patches masked (default 0.6). */
  maskRatio: z.number().gt(0, 'expected a ratio in (0, 1)').lt(1, 'expected a ratio in (0, 1)').optional(),
  /** Channels of the encoder's coarsest output map (ResNet-50: 2048); halved at each finer scale. */
  encDecNormDim: posInt().optional(),
  /**
   * The sparse norm after each encoder map (mmpretrain's `enc_dec_norm_cfg`): sparse batch norm
   * (default, synchronised when distributed) or a sparse LayerNorm over channels (`eps` default 1e-5, nn.LayerNorm's; the recipes set 1e-6).
   */
  encDecNormCfg: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('SparseSyncBatchNorm2d') }),
      z.strictObject({ type: z.literal('SparseLN2d'), eps: posNum().optional() }),
    ])
    .optional(),
});

export type SparKOptions = z.input<typeof sparkSchema>;

/** One learnable `(1, C_i, 1, 1)` mask token per scale, keyed `0`, `1`, … (PyTorch's ParameterList). */
class MaskTokens extends nn.Module<[], never> {
  readonly tokens: Tensor[];

  constructor(channels: number[]) {
    super();
    this.tokens = channels.map((c, i) => {
      const t = this.registerParameter(String(i), torch.zeros([1, c, 1, 1]));
      nn.init.truncNormal_(t, { mean: 0, std: 0.02, a: -0.02, b: 0.02 });
      return t;
    });
  }

  forward(): never {
    throw new TypeError('MaskTokens is not callable: index its tokens');
  }
}

/** SparK (Tian et al. 2023): one view `(N, 3, H, W)` → masked-patch pixel regression through a sparse encoder. */
export class SparK extends BaseModel<SparKPretrainHead, SparKLightDecoder> implements Reconstructor {
  readonly inputSize: number;
  readonly downsampleRatio: number;
  readonly maskRatio: number;
  /** Side of the mask grid, inputSize / downsampleRatio. */
  readonly featureMapSize: number;
  /** Patches kept (visible) per image. */
  readonly lenKeep: number;
  readonly encoder: SparseEncoder;
  /** The active mask the sparse `enc_dec_norms` read. */
  private readonly active = new SparseActiveMask();
  readonly encDecNorms: nn.ModuleList<SparseBatchNorm2d | SparseLayerNorm2d>;
  readonly encDecProjectors: nn.ModuleList<nn.Conv2d | nn.Identity>;
  readonly maskTokens: MaskTokens;

  constructor(o: SparKOptions, path = 'model') {
    super(o, path, { head: SparKPretrainHead, neck: SparKLightDecoder });
    const b = this.backbone;
    if (!isSparseEncoder(b))
      throw new TypeError(
        `SparK: ${path}.backbone must be a sparse encoder (SparseResNet, SparseConvNeXt), got ${b.constructor.name}`,
      );
    this.encoder = b;
    this.inputSize = o.inputSize ?? 224;
    this.downsampleRatio = o.downsampleRatio ?? 32;
    this.maskRatio = o.maskRatio ?? 0.6;
    if (this.inputSize % this.downsampleRatio !== 0)
      throw new RangeError(`SparK: inputSize ${this.inputSize} must be a multiple of downsampleRatio ${this.downsampleRatio}`);
    const f = this.inputSize / this.downsampleRatio;
    this.featureMapSize = f;
    this.lenKeep = Math.round(f * f * (1 - this.maskRatio));
    if (this.lenKeep < 1 || this.lenKeep >= f * f)
      throw new RangeError(
        `SparK: maskRatio ${this.maskRatio} keeps ${this.lenKeep} of ${f * f} patches; keep at least one and mask at least one`,
      );
    if (this.head.patchSize !== this.downsampleRatio)
      throw new RangeError(
        `SparK: ${path}.head.patchSize ${this.head.patchSize} must equal downsampleRatio ${this.downsampleRatio}`,
      );
    if (this.neck.upsampleRatio !== this.downsampleRatio)
      throw new RangeError(
        `SparK: ${path}.neck.upsampleRatio ${this.neck.upsampleRatio} must equal downsampleRatio ${this.downsampleRatio}`,
      );

    // Encoder widths from the coarsest map: they must halve at each finer scale, from encDecNormDim.
    const scales = b.outIndices.length;
    const widths = [...b.outIndices].reverse().map((s) => b.stageChannels[s]);
    const normDim = o.encDecNormDim ?? 2048;
    widths.forEach((c, i) => {
      if (c !== Math.floor(normDim / 2 ** i))
        throw new RangeError(
          `SparK: encDecNormDim ${normDim} halved ${i} times (${Math.floor(normDim / 2 ** i)}) must be the width of the backbone's ` +
            `${i === 0 ? 'coarsest' : `${i + 1}th coarsest`} output (${c}); outIndices [${b.outIndices}] give widths [${widths}]`,
        );
    });
    if (scales > this.neck.decoder.length)
      throw new RangeError(
        `SparK: the backbone gives ${scales} maps but the decoder has ${this.neck.decoder.length} blocks (log2 of upsampleRatio)`,
      );
    this.encDecNorms = this.registerModule(
      'enc_dec_norms',
      new nn.ModuleList(
        widths.map((c) => {
          const n = o.encDecNormCfg;
          return n?.type === 'SparseLN2d'
            ? new SparseLayerNorm2d(this.active, c, n.eps ?? 1e-5)
            : new SparseBatchNorm2d(this.active, c);
        }),
      ),
    );
    this.encDecProjectors = this.registerModule(
      'enc_dec_projectors',
      new nn.ModuleList(
        widths.map((c, i) => {
          const out = this.neck.channels[i];
          if (i === 0 && c === out) return new nn.Identity();
          const k = i === 0 ? 1 : 3;
          return new nn.Conv2d(c, out, k, { padding: Math.floor(k / 2) });
        }),
      ),
    );
    this.maskTokens = this.registerModule('mask_tokens', new MaskTokens(widths));
  }

  /** `(N, 1, f, f)` bool: true on the `lenKeep` visible patches of each image, drawn from the default generator. */
  mask(n: number, device: string): Tensor {
    const f = this.featureMapSize;
    return torch.tidy(() => {
      const noise = torch.rand([n, f * f], { dtype: 'float32' });
      // The rank of each patch in the sorted noise; the lenKeep lowest are kept (mmpretrain's argsort[:len_keep]).
      const rank = noise.argsort({ dim: 1 }).argsort({ dim: 1 });
      return rank.lt(this.lenKeep).reshape(n, 1, f, f).to({ device });
    });
  }

  /** Preprocessed images → reconstruction `(N, 3, H, W)` and the active mask `(N, 1, f, f)`. */
  protected predict(x: Tensor): { rec: Tensor; active: Tensor } {
    const [n, , h, w] = x.shape;
    if (h !== this.inputSize || w !== this.inputSize)
      throw new RangeError(`SparK: expected ${this.inputSize}×${this.inputSize} images (inputSize), got [${x.shape}]`);
    return torch.tidy(() => {
      const r = this.downsampleRatio;
      const active = this.mask(n, x.device);
      const pixels = active.repeatInterleave(r, 2).repeatInterleave(r, 3);
      const masked = x.mul(pixels.to({ dtype: x.dtype }));
      const maps = [...this.encoder.forwardSparse(masked, active)].reverse();
      let cur = active;
      const toDec = maps.map((map, i) => {
        const size = this.featureMapSize * 2 ** i;
        if (map.shape[2] !== size || map.shape[3] !== size)
          throw new RangeError(
            `SparK: the backbone's ${i}th coarsest map is [${map.shape}]; each scale must double the previous (${size}×${size} expected)`,
          );
        const normed = this.active.with(active, () => this.encDecNorms.at(i).forward(map));
        const dense = torch.where(
          cur.expandAs(normed),
          normed,
          this.maskTokens.tokens[i].to({ dtype: normed.dtype }).expandAs(normed),
        );
        cur = cur.repeatInterleave(2, 2).repeatInterleave(2, 3);
        return this.encDecProjectors.at(i).forward(dense);
      });
      const [rec] = this.neck.forward(toDec);
      return { rec, active };
    });
  }

  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 1, 'SparK');
    return torch.tidy(() => {
      const x = this.preprocess(batch.views[0]);
      const { rec, active } = this.predict(x);
      return { loss: this.head.forward(rec, x, active), logs: {} };
    });
  }

  get reconstructionSize(): [number, number] {
    return [this.inputSize, this.inputSize];
  }

  /**
   * Masks and reconstructs `(N, 3, H, W)` images; with `normPix` each predicted patch is mapped
   * back with its target patch's mean and standard deviation, then to 0–255 units.
   */
  reconstruct(images: Tensor): Reconstruction {
    return torch.noGrad(() =>
      torch.tidy(() => {
        const x = this.preprocess(images);
        const { rec, active } = this.predict(x);
        const p = this.downsampleRatio;
        let out = rec;
        if (this.head.normPix) {
          const target = patchify(x, p);
          const mean = target.mean(-1, { keepdim: true });
          const std = target.var(-1, { keepdim: true, correction: 1 }).add(1e-6).sqrt();
          out = unpatchify(patchify(rec, p).mul(std).add(mean), p, [x.shape[2] / p, x.shape[3] / p], x.shape[1]);
        }
        const mask = active.logicalNot().repeatInterleave(p, 2).repeatInterleave(p, 3).to({ dtype: x.dtype });
        return {
          original: denormalizeImages(x, this.normalization),
          reconstruction: denormalizeImages(out, this.normalization),
          mask,
        };
      }),
    );
  }
}

export const sparkPart = definePart({
  registry: ALGORITHMS,
  name: 'SparK',
  schema: sparkSchema,
  description: 'SparK: sparse (masked) ConvNet encoding, mask tokens per scale, hierarchical decoder, L2 on masked patches',
  build: (o, path) => new SparK(o, path),
});
