/**
 * iTPN, "Integrally Pre-Trained Transformer Pyramid Networks" (Tian et al. 2023, arXiv:2211.12735),
 * as mmpretrain's `iTPN` with the pixel target: MAE over a hierarchical encoder. `iTPNHiViT` encodes
 * a random 25 % of the patches at three scales, the `iTPNPretrainDecoder` neck fuses the scales in a
 * feature pyramid and decodes every patch's pixels, and MAE's `MAEPretrainHead` regresses the
 * (per-patch normalised) pixels of the removed patches:
 *
 *   L = Σ_removed ‖pred − target‖² / (p²·C) / #removed.
 *
 * One view `(N, C, H, W)`: `views[0]`. Keys: `backbone.*` (mmpretrain's HiViT names), `neck.*`
 * (mmpretrain's pyramid names, timm's decoder-block names), no head keys. Features for evaluation
 * are the plain HiViT's (no masking).
 *
 * CLIP target (backbone and neck `reconstructionType: 'clip'`, `iTPNClipHead`, a `CLIPGenerator`
 * teacher), mmpretrain's other branch: two views of the same crop (image, teacher image; BEiT v2's
 * pipeline) and the pipeline's block-wise mask `(N, h, w)` (`batch.masks[0]`). The masked patches
 * enter HiViT's main stage as its mask token, the neck sums the pyramid's levels, and the head maps
 * each masked patch's feature to the frozen CLIP teacher's feature of that patch in the second view
 * (normalised with `dataPreprocessor.secondMean/secondStd`, CLIP's statistics in the recipe):
 *
 *   L = mean over masked patches of loss(cls_head(feat_i), clip_i)   (the recipe: −cos).
 *
 * Keys add `head.cls_head.*` and `target_generator.tokenizer.visual.*` (frozen).
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { checkNormalization, type ImageNormalization, normalizeImages } from '../../core/images.js';
import { definePart } from '../../core/registry.js';
import { ConfigError, typed, z } from '../../core/schema.js';
import type { TargetGeneratorConfig } from '../../part-configs.js';
import { ITPNHiViT } from '../backbones/itpn-hivit.js';
import { ITPNClipHead } from '../heads/itpn-clip-head.js';
import { MAEPretrainHead } from '../heads/mae-pretrain-head.js';
import { ITPNPretrainDecoder } from '../necks/itpn-pretrain-decoder.js';
import { ALGORITHMS, TARGET_GENERATORS } from '../registries.js';
import { CLIPGenerator } from '../target-generators/clip-generator.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews, type PartClass } from './base.js';
import { twoNormSchema } from './beit.js';
import { reconstructPatches } from './mae.js';
import type { Reconstruction, Reconstructor } from './reconstruction.js';

/**
 * `iTPN` options (everything but `type`): an `iTPNHiViT`, an `iTPNPretrainDecoder` and an
 * `MAEPretrainHead` (pixel target), or with the CLIP target an `iTPNClipHead` and a `CLIPGenerator`.
 */
export const itpnSchema = z.strictObject({
  ...baseModelShape,
  /** MMSelfSup's `TwoNormDataPreprocessor`: `secondMean`/`secondStd` normalise the CLIP teacher's view. */
  dataPreprocessor: twoNormSchema,
  /** The CLIP target's frozen teacher: `{ type: 'CLIPGenerator', tokenizerPath: '…/clip_vit_base_16.pth' }`. */
  targetGenerator: typed<TargetGeneratorConfig>().optional(),
});
export type ITPNOptions = z.input<typeof itpnSchema>;

const CLIP_VIEWS =
  "the CLIP target needs BEiT v2's views (beitV2Views(): 'RandomResizedCropAndInterpolationWithTwoPic' for the " +
  "image and the teacher's image, then a 'BEiTMaskGenerator' over the backbone's patch grid)";

/** iTPN (Tian et al. 2023): pixel target (one view) or CLIP target (two views and a mask) → the masked-patch loss. */
export class ITPN extends BaseModel<MAEPretrainHead | ITPNClipHead, ITPNPretrainDecoder> implements Reconstructor {
  readonly hivit: ITPNHiViT;
  readonly reconstructionType: 'pixel' | 'clip';
  /** The CLIP target's frozen teacher (null for the pixel target). */
  readonly targetGenerator: CLIPGenerator | null;
  /** The teacher view's normalisation. */
  readonly secondNormalization: ImageNormalization;

  constructor(o: ITPNOptions, path = 'model') {
    const { targetGenerator, ...model } = o;
    // Either head: which one the target needs is checked below, with the reason.
    super(model, path, { head: nn.Module as unknown as PartClass<MAEPretrainHead | ITPNClipHead>, neck: ITPNPretrainDecoder });
    if (!(this.backbone instanceof ITPNHiViT))
      throw new TypeError(`iTPN: ${path}.backbone must be an iTPNHiViT, got ${this.backbone.constructor.name}`);
    this.hivit = this.backbone;
    this.reconstructionType = this.hivit.reconstructionType;
    const clip = this.reconstructionType === 'clip';
    if (this.neck.reconstructionType !== this.reconstructionType)
      throw new ConfigError(
        `${path}.neck.reconstructionType`,
        `iTPN: the neck's reconstructionType '${this.neck.reconstructionType}' must be the backbone's '${this.reconstructionType}'`,
      );
    if (clip ? !(this.head instanceof ITPNClipHead) : !(this.head instanceof MAEPretrainHead))
      throw new ConfigError(
        `${path}.head`,
        clip ? "iTPN's CLIP target needs an 'iTPNClipHead'" : "iTPN's pixel target needs an 'MAEPretrainHead'",
      );
    const pre = o.dataPreprocessor ?? {};
    this.secondNormalization = { mean: pre.secondMean ?? this.normalization.mean, std: pre.secondStd ?? this.normalization.std };
    checkNormalization(this.secondNormalization, 'dataPreprocessor.second');
    const [gh, gw] = this.hivit.gridSize;
    const p = this.hivit.patchSize;
    if (clip !== (targetGenerator !== undefined))
      throw new ConfigError(
        `${path}.targetGenerator`,
        clip
          ? "iTPN's CLIP target needs a teacher: { type: 'CLIPGenerator', tokenizerPath: … }"
          : 'iTPN: the pixel target takes no targetGenerator',
      );
    if (this.neck.embedDim !== this.hivit.embedDims)
      throw new RangeError(`iTPN: neck.embedDim ${this.neck.embedDim} must equal the backbone's width ${this.hivit.embedDims}`);
    if (this.neck.numPatches !== gh * gw)
      throw new RangeError(`iTPN: neck.numPatches ${this.neck.numPatches} must equal the backbone's ${gh}×${gw} patch grid`);
    if (this.head instanceof MAEPretrainHead && (this.neck.patchSize !== p || this.head.patchSize !== p))
      throw new RangeError(
        `iTPN: head.patchSize ${this.head.patchSize} and neck.patchSize ${this.neck.patchSize} must equal the backbone's patch size ${p}`,
      );
    if (this.head instanceof ITPNClipHead && this.head.embedDims !== this.neck.decoderEmbedDim)
      throw new RangeError(
        `iTPN: head.embedDims ${this.head.embedDims} must be the neck's decoderEmbedDim ${this.neck.decoderEmbedDim}`,
      );
    this.targetGenerator = targetGenerator
      ? this.registerModule('target_generator', this.buildTeacher(targetGenerator, path))
      : null;
  }

  /** Builds the CLIP teacher and checks it sees the backbone's grid and gives the head's width. */
  private buildTeacher(cfg: TargetGeneratorConfig, path: string): CLIPGenerator {
    const teacher = TARGET_GENERATORS.buildAs(cfg, `${path}.targetGenerator`, CLIPGenerator, 'iTPN');
    const [gh, gw] = this.hivit.gridSize;
    const p = this.hivit.patchSize;
    const t = teacher.visual;
    const numEmbed = this.head instanceof ITPNClipHead ? this.head.numEmbed : 0;
    const problem =
      t.imgSize !== gh * p || t.imgSize !== gw * p || t.numTokens - 1 !== gh * gw
        ? `the teacher's ${t.imgSize}-px, ${t.imgSize / t.patchSize}² patch grid must be the backbone's ${gh}×${gw} (${gh * p} px)`
        : t.outputDim !== numEmbed
          ? `the teacher gives ${t.outputDim} values per patch, head.numEmbed is ${numEmbed}`
          : null;
    if (problem) {
      teacher.dispose();
      throw new ConfigError(`${path}.targetGenerator`, `iTPN: ${problem}`);
    }
    return teacher;
  }

  /** The image size the encoder's and decoder's position tables are made for. */
  get reconstructionSize(): [number, number] {
    const [gh, gw] = this.hivit.gridSize;
    return [gh * this.hivit.patchSize, gw * this.hivit.patchSize];
  }

  /** The masked forward: predictions `(N, L, p²·C)`, mask `(N, L)` and the preprocessed images. */
  protected predict(images: Tensor): { pred: Tensor; mask: Tensor; x: Tensor } {
    return torch.tidy(() => {
      const x = this.preprocess(images);
      const { pyramid, mask, idsRestore } = this.hivit.forwardMasked(x);
      return { pred: this.neck.forward(pyramid, idsRestore), mask, x };
    });
  }

  /** Pixel target: one view → the masked reconstruction loss. CLIP target: two views and a mask → the masked feature loss. */
  loss(batch: AlgorithmInput): LossOutput {
    if (this.reconstructionType === 'clip') return this.clipLoss(batch);
    needViews(batch.views, 1, 'iTPN');
    return torch.tidy(() => {
      const { pred, mask, x } = this.predict(batch.views[0]);
      if (!(this.head instanceof MAEPretrainHead)) throw new TypeError('iTPN: the pixel target needs an MAEPretrainHead');
      return { loss: this.head.forward(pred, x, mask), logs: {} };
    });
  }

  /** The CLIP teacher's patch features `(N, L, D)` of the second view, without gradient. */
  teacherFeatures(view: Tensor): Tensor {
    const teacher = this.targetGenerator;
    if (!teacher) throw new TypeError('iTPN: the pixel target has no teacher');
    return torch.noGrad(() =>
      torch.tidy(() => {
        // The model's dtype (float64 in the parity tests), as `preprocess`'s output meets the backbone.
        const x = normalizeImages(view, this.secondNormalization).to({ dtype: this.hivit.patchEmbed.proj.weight.dtype });
        return teacher.forward(x).features.slice(1, 1).detach();
      }),
    );
  }

  private clipLoss(batch: AlgorithmInput): LossOutput {
    if (batch.views.length < 2)
      throw new RangeError(
        `iTPN: expected two views per sample (image, teacher image), got ${batch.views.length}; ${CLIP_VIEWS}`,
      );
    const mask = batch.masks?.[0];
    const [n, , h, w] = batch.views[0].shape;
    const [gh, gw] = this.hivit.gridSize;
    if (!mask) throw new TypeError(`iTPN: the batch has no patch mask; ${CLIP_VIEWS}`);
    if (mask.dim() !== 3 || mask.shape[0] !== n || mask.shape[1] !== gh || mask.shape[2] !== gw)
      throw new RangeError(
        `iTPN: mask [${mask.shape}] does not match ${n} images of ${gh}×${gw} patches (${h}×${w} px); ${CLIP_VIEWS}`,
      );
    if (!(this.head instanceof ITPNClipHead)) throw new TypeError('iTPN: the CLIP target needs an iTPNClipHead');
    const head = this.head;
    return torch.tidy(() => {
      const pyramid = this.hivit.forwardMaskToken(this.preprocess(batch.views[0]), mask);
      const target = this.teacherFeatures(batch.views[1]);
      return { loss: head.forward(this.neck.forward(pyramid), target, mask), logs: {} };
    });
  }

  /** Masks `(N, C, H, W)` images and reconstructs them (as MAE's `reconstruct`; pixel target only). */
  reconstruct(images: Tensor): Reconstruction {
    if (!(this.head instanceof MAEPretrainHead))
      throw new TypeError('iTPN: only the pixel target reconstructs images (the CLIP target predicts features)');
    const head = this.head;
    return torch.noGrad(() =>
      torch.tidy(() => {
        const { pred, mask, x } = this.predict(images);
        return reconstructPatches(pred, mask, x, x, head, this.normalization);
      }),
    );
  }
}

export const itpnPart = definePart({
  registry: ALGORITHMS,
  name: 'iTPN',
  schema: itpnSchema,
  description: 'iTPN: masked modelling over a HiViT pyramid, the scales fused by a feature-pyramid neck (pixel or CLIP target)',
  build: (o, path) => new ITPN(o, path),
});
