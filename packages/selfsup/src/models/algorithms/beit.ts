/**
 * BEiT v1 (Bao et al. 2022, "BEiT: BERT Pre-Training of Image Transformers", arXiv:2106.08254) and
 * BEiT v2 (Peng et al. 2022, "BEiT v2: Masked Image Modeling with Vector-Quantized Visual
 * Tokenizers", arXiv:2208.06366), as MMSelfSup 1.x's one `BEiT` class: masked patches of the first
 * view enter a `BEiTViT` as its mask token; a frozen tokenizer turns the second view (the same crop,
 * at the tokenizer's size and normalisation) into one visual-token id per patch; the model
 * classifies each masked patch's token.
 * - v1 (no neck): `BEiTV1Head` on the last layer's tokens, ids = argmax of DALL-E's logits.
 * - v2 (`BEiTV2Neck`): the backbone returns an early layer's and the last layer's tokens, the neck
 *   decodes the class token with the early patch tokens, and `BEiTV2Head` adds the two cross-entropies
 *   against VQ-KD's ids (logged as `loss_1`, `loss_2`, MMSelfSup's names).
 *
 * Views: `[image (N, 3, H, W), tokenizer image (N, 3, H', W')]` and the pipeline's mask `(N, h, w)`
 * (`batch.masks[0]`; `RandomResizedCropAndInterpolationWithTwoPic` then `BEiTMaskGenerator`). The
 * first view is normalised with `dataPreprocessor.mean/std`, the second with `secondMean/secondStd`
 * (MMSelfSup's `TwoNormDataPreprocessor`). State-dict keys: `backbone.*`, `neck.*`, `head.cls_head.*`,
 * `target_generator.*`.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { checkNormalization, type ImageNormalization, normalizeImages } from '../../core/images.js';
import type { TrainProgress } from '../../core/progress.js';
import { definePart } from '../../core/registry.js';
import { ConfigError, num, typed, z } from '../../core/schema.js';
import type { HeadConfig, NeckConfig, TargetGeneratorConfig } from '../../part-configs.js';
import { BEiTViT } from '../backbones/beit-vit.js';
import { BEiTV1Head } from '../heads/beitv1-head.js';
import { BEiTV2Head } from '../heads/beitv2-head.js';
import { BEiTV2Neck } from '../necks/beitv2-neck.js';
import { ALGORITHMS, HEADS, NECKS, TARGET_GENERATORS, type TargetGenerator } from '../registries.js';
import { Algorithm, type AlgorithmInput, algorithmShape, type LossOutput } from './base.js';

/** MMSelfSup's `TwoNormDataPreprocessor`: the image's statistics and the tokenizer view's, 0–255 units. */
export const twoNormSchema = z
  .strictObject({
    mean: z.array(num()).optional(),
    std: z.array(num()).optional(),
    /** The tokenizer view's (x − secondMean)/secondStd; default the first view's statistics. */
    secondMean: z.array(num()).optional(),
    secondStd: z.array(num()).optional(),
  })
  .optional();

/** `BEiT` options (everything but `type`). */
export const beitSchema = z.strictObject({
  ...algorithmShape,
  dataPreprocessor: twoNormSchema,
  /** BEiT v2's `BEiTV2Neck`; absent (or null) for v1. */
  neck: typed<NeckConfig>().nullable().optional(),
  /** `BEiTV1Head` (no neck) or `BEiTV2Head` (with the neck). */
  head: typed<HeadConfig>(),
  /** The frozen tokenizer: `DALL-E` (v1) or `VQKD` (v2), weights from its `tokenizerPath`. */
  targetGenerator: typed<TargetGeneratorConfig>(),
});
export type BEiTOptions = z.input<typeof beitSchema>;

const MASK_STEP =
  "end the view pipeline with 'RandomResizedCropAndInterpolationWithTwoPic' (image and tokenizer views) and a " +
  "'BEiTMaskGenerator' step over the ViT's patch grid (MMSelfSup's recipe: inputSize 14, numMaskingPatches 75, minNumPatches 16)";

export class BEiT extends Algorithm {
  readonly vit: BEiTViT;
  readonly neck: BEiTV2Neck | null;
  readonly head: BEiTV1Head | BEiTV2Head;
  readonly targetGenerator: TargetGenerator;
  /** The tokenizer view's normalisation. */
  readonly secondNormalization: ImageNormalization;

  constructor(o: BEiTOptions, path = 'model') {
    super(o, path);
    const pre = o.dataPreprocessor ?? {};
    this.secondNormalization = { mean: pre.secondMean ?? this.normalization.mean, std: pre.secondStd ?? this.normalization.std };
    checkNormalization(this.secondNormalization, 'dataPreprocessor.second');
    if (!(this.backbone instanceof BEiTViT) || !this.backbone.maskToken)
      throw new ConfigError(`${path}.backbone`, "BEiT needs a 'BEiTViT' backbone with a mask token");
    if (this.backbone.outType !== 'raw')
      throw new ConfigError(`${path}.backbone.outType`, "BEiT needs the backbone's tokens (outType 'raw')");
    this.vit = this.backbone;
    this.neck = o.neck ? this.registerModule('neck', NECKS.buildAs(o.neck, `${path}.neck`, BEiTV2Neck, 'BEiT')) : null;
    const head = HEADS.build(o.head, `${path}.head`);
    if (this.neck ? !(head instanceof BEiTV2Head) : !(head instanceof BEiTV1Head) || head instanceof BEiTV2Head)
      throw new ConfigError(
        `${path}.head`,
        this.neck ? "BEiT v2 (with a 'BEiTV2Neck') needs a 'BEiTV2Head'" : "BEiT v1 (no neck) needs a 'BEiTV1Head'",
      );
    this.head = this.registerModule('head', head as BEiTV1Head | BEiTV2Head);
    const want = this.neck ? 2 : 1;
    if (this.vit.outIndices.length !== want)
      throw new ConfigError(
        `${path}.backbone.outIndices`,
        this.neck
          ? `BEiT v2 needs the early and last layers' tokens (outIndices: [${this.neck.earlyLayers - 1 - this.vit.depth}, -1])`
          : 'BEiT v1 needs only the last layer (outIndices: [-1])',
      );
    this.targetGenerator = this.registerModule(
      'target_generator',
      TARGET_GENERATORS.build(o.targetGenerator, `${path}.targetGenerator`),
    );
  }

  /** The pipeline's mask, checked against the image's patch grid. */
  private maskOf(batch: AlgorithmInput, images: Tensor): Tensor {
    const mask = batch.masks?.[0];
    if (!mask) throw new TypeError(`BEiT: the batch has no patch mask; ${MASK_STEP}`);
    const [n, , h, w] = images.shape;
    const [gh, gw] = this.vit.patchEmbed.grid(h, w);
    if (mask.dim() !== 3 || mask.shape[0] !== n || mask.shape[1] !== gh || mask.shape[2] !== gw)
      throw new RangeError(
        `BEiT: mask of shape [${mask.shape}] does not match ${n} images of ${gh}x${gw} patches (${h}x${w} px); ${MASK_STEP}`,
      );
    return mask;
  }

  /** The tokenizer's output for the second view (logits or ids), without gradient. */
  tokenize(view: Tensor): Tensor {
    return torch.noGrad(() =>
      torch.tidy(() => {
        const x = normalizeImages(view, this.secondNormalization);
        // The model's dtype (float64 in the parity tests), as `preprocess`'s output meets the backbone.
        const out = this.targetGenerator.forward(x.to({ dtype: this.vit.clsToken.dtype }));
        if (!(out instanceof torch.Tensor)) throw new TypeError('BEiT: the target generator should return a tensor');
        return out;
      }),
    );
  }

  loss(batch: AlgorithmInput, _progress?: TrainProgress): LossOutput {
    if (batch.views.length < 2)
      throw new RangeError(
        `BEiT: expected two views per sample (image, tokenizer image), got ${batch.views.length}; ${MASK_STEP}`,
      );
    const mask = this.maskOf(batch, batch.views[0]);
    return torch.tidy(() => {
      const latent = this.vit.forward(this.preprocess(batch.views[0]), mask);
      const target = this.tokenize(batch.views[1]);
      if (this.neck && this.head instanceof BEiTV2Head) {
        const [feats, clsPt] = this.neck.forward(latent, this.vit.sharedRelPosBias());
        const [l1, l2] = this.head.losses(feats, clsPt, target, mask);
        return { loss: l1.add(l2), logs: { loss_1: l1.item(), loss_2: l2.item() } };
      }
      const logs: Record<string, number> = {};
      return { loss: (this.head as BEiTV1Head).forward(latent[0], target, mask), logs };
    });
  }
}

export const beitPart = definePart({
  registry: ALGORITHMS,
  name: 'BEiT',
  schema: beitSchema,
  description: 'BEiT v1/v2: classify masked patches into a frozen tokenizer’s visual tokens (DALL-E or VQ-KD)',
  build: (o, path) => new BEiT(o, path),
});
