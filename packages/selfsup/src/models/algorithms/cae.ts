/**
 * CAE (Chen et al. 2022, "Context Autoencoder for Self-Supervised Representation Learning",
 * arXiv:2202.03026), as MMSelfSup 1.x's `CAE` algorithm:
 * - the encoder (`CAEViT`) sees only the visible patches of the first view;
 * - the regressor (`CAENeck`) predicts the masked patches' latents from them by cross-attention,
 *   and the decoder maps those predictions to DALL-E visual-token logits;
 * - the teacher (`teacher.*`, the backbone's copy, updated as teacher·m + backbone·(1 − m) with the
 *   constant `baseMomentum` right after it is used, MMSelfSup's order) encodes the masked patches
 *   alone without gradient: the alignment targets;
 * - `CAEHead`/`CAELoss`: cross-entropy against the frozen DALL-E tokenizer's ids of the second view
 *   (`target_generator.*`) plus λ·MSE alignment; logged as `main` and `align` (MMSelfSup's names).
 *
 * Views: `[image (N, 3, H, W), tokenizer image (N, 3, H', W')]` and the pipeline's mask `(N, h, w)`
 * (`batch.masks[0]`, the same count of masked patches per image); the first view is normalised with
 * `dataPreprocessor.mean/std`, the second with `secondMean/secondStd` (MMSelfSup's
 * `CAEDataPreprocessor`: x/255·0.8 + 0.1, i.e. secondMean −31.875, secondStd 318.75).
 */
import * as torch from '@selfsup/torch';
import { optim, type Tensor } from '@selfsup/torch';
import { checkNormalization, type ImageNormalization, normalizeImages } from '../../core/images.js';
import type { TrainProgress } from '../../core/progress.js';
import { definePart } from '../../core/registry.js';
import { ConfigError, prob, typed, z } from '../../core/schema.js';
import type { HeadConfig, NeckConfig, TargetGeneratorConfig } from '../../part-configs.js';
import { convertMMBEiTKeys } from '../backbones/beit-vit.js';
import { CAEViT } from '../backbones/cae-vit.js';
import { CAEHead } from '../heads/cae-head.js';
import { CAENeck } from '../necks/cae-neck.js';
import { ALGORITHMS, BACKBONES, HEADS, NECKS, TARGET_GENERATORS, type TargetGenerator } from '../registries.js';
import { Algorithm, type AlgorithmInput, algorithmShape, backboneConfig, type LossOutput } from './base.js';
import { twoNormSchema } from './beit.js';

/** `CAE` options (everything but `type`). */
export const caeSchema = z.strictObject({
  ...algorithmShape,
  dataPreprocessor: twoNormSchema,
  neck: typed<NeckConfig>(),
  head: typed<HeadConfig>(),
  /** The frozen DALL-E encoder (`DALL-E`, weights from its `tokenizerPath`). */
  targetGenerator: typed<TargetGeneratorConfig>(),
  /** The teacher's momentum m (teacher ← m·teacher + (1 − m)·backbone). Default 0: a copy. */
  baseMomentum: prob().optional(),
});
export type CAEOptions = z.input<typeof caeSchema>;

const MASK_STEP =
  "end the view pipeline with 'RandomResizedCropAndInterpolationWithTwoPic' (image and tokenizer views) and a " +
  "'BEiTMaskGenerator' step over the ViT's patch grid masking the neck's maskTokensNum patches (MMSelfSup's recipe: inputSize 14, numMaskingPatches 75, minNumPatches 16)";

export class CAE extends Algorithm {
  readonly vit: CAEViT;
  readonly teacher: CAEViT;
  readonly neck: CAENeck;
  readonly head: CAEHead;
  readonly targetGenerator: TargetGenerator;
  readonly momentum: number;
  readonly secondNormalization: ImageNormalization;

  constructor(o: CAEOptions, path = 'model') {
    super(o, path);
    const pre = o.dataPreprocessor ?? {};
    this.secondNormalization = { mean: pre.secondMean ?? this.normalization.mean, std: pre.secondStd ?? this.normalization.std };
    checkNormalization(this.secondNormalization, 'dataPreprocessor.second');
    if (!(this.backbone instanceof CAEViT)) throw new ConfigError(`${path}.backbone`, "CAE needs a 'CAEViT' backbone");
    this.vit = this.backbone;
    this.neck = this.registerModule('neck', NECKS.buildAs(o.neck, `${path}.neck`, CAENeck, 'CAE'));
    if (this.neck.embedDims !== this.vit.embedDim)
      throw new ConfigError(
        `${path}.neck.embedDims`,
        `must be the backbone's width ${this.vit.embedDim}, got ${this.neck.embedDims}`,
      );
    this.head = this.registerModule('head', HEADS.buildAs(o.head, `${path}.head`, CAEHead, 'CAE'));
    this.targetGenerator = this.registerModule(
      'target_generator',
      TARGET_GENERATORS.build(o.targetGenerator, `${path}.targetGenerator`),
    );
    this.momentum = o.baseMomentum ?? 0;
    const teacher = BACKBONES.build(backboneConfig(o.backbone, `${path}.backbone`, 'CAE', 'the teacher'), `${path}.backbone`);
    if (!(teacher instanceof CAEViT)) throw new ConfigError(`${path}.backbone`, "CAE needs a 'CAEViT' backbone");
    this.teacher = this.registerModule('teacher', teacher);
    // MMSelfSup's `_init_teacher`: the backbone's weights, frozen.
    this.pairing().copyFrom();
  }

  private pairing(): optim.EMA {
    return new optim.EMA(this.vit, this.teacher);
  }

  /** MMSelfSup's `momentum_update`: teacher ← m·teacher + (1 − m)·backbone. */
  momentumUpdate(): void {
    this.pairing().update(this.momentum);
  }

  /** The pipeline's mask as `(N, L)` bool, checked against the image's patch grid. */
  private maskOf(batch: AlgorithmInput, images: Tensor): Tensor {
    const mask = batch.masks?.[0];
    if (!mask) throw new TypeError(`CAE: the batch has no patch mask; ${MASK_STEP}`);
    const [n, , h, w] = images.shape;
    const [gh, gw] = this.vit.patchEmbed.grid(h, w);
    if (mask.numel() !== n * gh * gw)
      throw new RangeError(
        `CAE: mask of shape [${mask.shape}] does not match ${n} images of ${gh}x${gw} patches (${h}x${w} px); ${MASK_STEP}`,
      );
    return mask.reshape(n, gh * gw).to({ dtype: 'bool' });
  }

  /** DALL-E's logits `(N, V, h, w)` for the second view, without gradient. */
  tokenize(view: Tensor): Tensor {
    return torch.noGrad(() =>
      torch.tidy(() => {
        const x = normalizeImages(view, this.secondNormalization);
        const out = this.targetGenerator.forward(x.to({ dtype: this.vit.clsToken.dtype }));
        if (!(out instanceof torch.Tensor)) throw new TypeError('CAE: the target generator should return a tensor');
        return out;
      }),
    );
  }

  loss(batch: AlgorithmInput, _progress?: TrainProgress): LossOutput {
    if (batch.views.length < 2)
      throw new RangeError(
        `CAE: expected two views per sample (image, tokenizer image), got ${batch.views.length}; ${MASK_STEP}`,
      );
    const mask = this.maskOf(batch, batch.views[0]);
    return torch.tidy(() => {
      const img = this.preprocess(batch.views[0]);
      const n = img.shape[0];
      const [unmasked] = this.vit.forward(img, mask);
      const latentTarget = torch.noGrad(() => {
        const t = this.teacher.forward(img, mask.logicalNot())[0].slice(1, 1);
        this.momentumUpdate();
        return t;
      });
      const pos = this.vit.fixedPosEmbed.slice(1, 1).expand(n, -1, -1);
      const posMasked = CAEViT.gatherRows(pos, mask, 'CAE');
      const posUnmasked = CAEViT.gatherRows(pos, mask.logicalNot(), 'CAE');
      const [logits, latentPred] = this.neck.forward(unmasked.slice(1, 1), posMasked, posUnmasked);
      const target = this.tokenize(batch.views[1]);
      const [main, align] = this.head.losses(logits.reshape(-1, logits.shape[2]), target, latentPred, latentTarget, mask);
      return { loss: main.add(align), logs: { main: main.item(), align: align.item() } };
    });
  }
}

/**
 * Maps an MMSelfSup CAE checkpoint's keys to ours: `backbone.*` and `teacher.*` from mmcls's ViT
 * names (`layers.0.ln1.*`, `ffn.layers.0.0.*`, `ln1.*`, `patch_embed.projection.*`) to the BEiT ones
 * `CAEViT` keeps (`blocks.0.norm1.*`, `mlp.fc1.*`, `norm.*`, `patch_embed.proj.*`); `neck.*`,
 * `head.*` and `target_generator.*` already match.
 */
export function convertMMSelfSupCAEKeys<T>(sd: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const prefix of ['backbone.', 'teacher.']) {
    const part = Object.fromEntries(
      Object.entries(sd)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
    for (const [k, v] of Object.entries(convertMMBEiTKeys(part))) out[prefix + k] = v;
  }
  for (const [k, v] of Object.entries(sd)) if (!k.startsWith('backbone.') && !k.startsWith('teacher.')) out[k] = v;
  return out;
}

export const caePart = definePart({
  registry: ALGORITHMS,
  name: 'CAE',
  schema: caeSchema,
  description: 'CAE: regress masked latents from visible ones (aligned to a momentum teacher), decode to DALL-E tokens',
  build: (o, path) => new CAE(o, path),
});
