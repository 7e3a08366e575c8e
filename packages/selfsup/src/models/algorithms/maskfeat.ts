/**
 * MaskFeat (Wei et al. 2022, "Masked Feature Prediction for Self-Supervised Visual Pre-Training",
 * arXiv:2112.09133), as MMSelfSup 1.x's `MaskFeat`: the patches a block-wise mask selects enter a
 * ViT as its mask token; a linear neck maps every output token `(N, 1 + L, C)` to a prediction
 * `(N, 1 + L, D)`; the target generator (HOG) describes each patch of the same preprocessed image
 * `(N, L, D)`; the head regresses prediction on target over the masked patches (class token dropped).
 *
 * The mask is the data pipeline's: the view pipeline ends in a `BEiTMaskGenerator` step, whose
 * `(N, h, w)` mask (1 = masked, h × w the ViT's patch grid) the loader packs next to the view
 * (`batch.masks[0]`; MMSelfSup's `PackSelfSupInputs(algorithm_keys=['mask'])`).
 *
 * State-dict keys are MMSelfSup's: `backbone.*` (timm's ViT keys), `neck.fc.*`,
 * `target_generator.{weight_x, weight_y, gaussian_kernel}`.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import type { TrainProgress } from '../../core/progress.js';
import { definePart } from '../../core/registry.js';
import { ConfigError, typed, z } from '../../core/schema.js';
import type { TargetGeneratorConfig } from '../../part-configs.js';
import { VisionTransformer } from '../backbones/vit.js';
import { MaskFeatPretrainHead } from '../heads/maskfeat-head.js';
import { ALGORITHMS, TARGET_GENERATORS, type TargetGenerator } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput } from './base.js';

/**
 * `MaskFeat` options (everything but `type`): a MaskFeatViT (or any VisionTransformer with
 * `maskToken: true`), a LinearNeck (`withAvgPool: false`, embedding → target size), a
 * MaskFeatPretrainHead, and the target generator (`{ type: 'HOGGenerator', nbins: 9, pool: 8, gaussianWindow: 16 }`).
 */
export const maskFeatSchema = z.strictObject({
  ...baseModelShape,
  /** What the model predicts for each masked patch (MMSelfSup's `target_generator`). */
  targetGenerator: typed<TargetGeneratorConfig>(),
});
export type MaskFeatOptions = z.input<typeof maskFeatSchema>;

/** What the pipeline step must be, for error messages. */
const MASK_STEP =
  "end the view pipeline with a 'BEiTMaskGenerator' step over the ViT's patch grid (MMSelfSup's recipe: " +
  'inputSize 14, numMaskingPatches 78, minNumPatches 15 at 224 px)';

export class MaskFeat extends BaseModel<MaskFeatPretrainHead> {
  readonly vit: VisionTransformer;
  readonly targetGenerator: TargetGenerator;

  constructor(o: MaskFeatOptions, path = 'model') {
    super(o, path, { head: MaskFeatPretrainHead });
    const backbone = this.backbone;
    if (!(backbone instanceof VisionTransformer) || !backbone.maskToken)
      throw new ConfigError(
        `${path}.backbone`,
        "MaskFeat needs a VisionTransformer with a mask token ('MaskFeatViT', or maskToken: true)",
      );
    if (backbone.numPrefixTokens !== 1)
      throw new ConfigError(`${path}.backbone`, 'MaskFeat needs a class token (clsToken: true): its prediction is dropped');
    this.vit = backbone;
    this.targetGenerator = this.registerModule(
      'target_generator',
      TARGET_GENERATORS.build(o.targetGenerator, `${path}.targetGenerator`),
    );
  }

  /** The pipeline's mask for view 0, checked against the images' patch grid. */
  private maskOf(batch: AlgorithmInput, images: Tensor): Tensor {
    const mask = batch.masks?.[0];
    if (!mask) throw new TypeError(`MaskFeat: the batch has no patch mask; ${MASK_STEP}`);
    const [n, , h, w] = images.shape;
    const [gh, gw] = this.vit.patchEmbed.grid(h, w);
    if (mask.dim() !== 3 || mask.shape[0] !== n || mask.shape[1] !== gh || mask.shape[2] !== gw)
      throw new RangeError(
        `MaskFeat: mask of shape [${mask.shape}] does not match ${n} images of ${gh}x${gw} patches (${h}x${w} px); ${MASK_STEP}`,
      );
    return mask;
  }

  /** Masked HOG regression on view 0 with the pipeline's mask. */
  loss(batch: AlgorithmInput, _progress?: TrainProgress): LossOutput {
    if (batch.views.length < 1) throw new RangeError('MaskFeat: expected one view per sample, got none');
    const mask = this.maskOf(batch, batch.views[0]);
    return torch.tidy(() => {
      const img = this.preprocess(batch.views[0]);
      const latent = this.vit.forwardFeatures(img, mask);
      const [n, t, c] = latent.shape;
      const [flat] = this.neck.forward([latent.reshape(n * t, c)]);
      const pred = flat.reshape(n, t, -1);
      const target = torch.noGrad(() => this.targetGenerator.forward(img));
      if (!(target instanceof torch.Tensor))
        throw new TypeError('MaskFeat: the target generator should return a (N, L, D) tensor');
      if (target.dim() !== 3 || target.shape[1] !== t - 1)
        throw new RangeError(
          `MaskFeat: the target generator gave targets of shape [${target.shape}] for ${t - 1} patches ` +
            "(its patchSize must be the backbone's)",
        );
      if (target.shape[2] !== pred.shape[2])
        throw new RangeError(
          `MaskFeat: the neck predicts ${pred.shape[2]} values per patch but the targets have ${target.shape[2]} ` +
            '(set the neck’s outChannels to the target size)',
        );
      return { loss: this.head.forward(pred, target, mask), logs: {} };
    });
  }
}

export const maskFeatPart = definePart({
  registry: ALGORITHMS,
  name: 'MaskFeat',
  schema: maskFeatSchema,
  description: 'MaskFeat: predict the HOG features of block-masked patches from a mask-token ViT',
  build: (o, path) => new MaskFeat(o, path),
});
