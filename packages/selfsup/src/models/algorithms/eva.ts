/**
 * EVA's masked feature prediction, "EVA: Exploring the Limits of Masked Visual Representation
 * Learning at Scale" (Fang et al. 2023, arXiv:2211.07636), as MMSelfSup 1.x's `EVA` (its MAE-style
 * recipe): an MAE — the ViT encodes a random 25 % of the patches (`forwardMasked`), the
 * `MAEPretrainDecoder` fills in mask tokens — whose decoder predicts, instead of pixels, the frozen
 * CLIP teacher's feature of every patch (`predictFeatureDim` = the teacher's 512), and whose head
 * (`MILANPretrainHead`, 2 − 2·cos) compares them on the removed patches:
 *
 *   L = Σ_removed (2 − 2·cos(pred_i, clip_i)) / #removed.
 *
 * It keeps MAE's encoder, decoder and masking but not its pixel head, so it is its own `BaseModel`
 * rather than a subclass of `MAE` (whose head, target and `reconstruct()` are pixels). One view
 * `(N, C, H, W)`: `views[0]`. Keys: `backbone.*` (timm's ViT names), `neck.*` (MAE's decoder),
 * `target_generator.tokenizer.visual.*` (the teacher, OpenAI's names; frozen).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { ConfigError, typed, z } from '../../core/schema.js';
import type { TargetGeneratorConfig } from '../../part-configs.js';
import { VisionTransformer } from '../backbones/vit.js';
import { MILANPretrainHead } from '../heads/milan-head.js';
import { MAEPretrainDecoder } from '../necks/mae-pretrain-decoder.js';
import { ALGORITHMS, TARGET_GENERATORS } from '../registries.js';
import { CLIPGenerator } from '../target-generators/clip-generator.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import { checkMAEParts } from './mae.js';

/** `EVA` options: an MAEViT, an `MAEPretrainDecoder` predicting the teacher's width, a `MILANPretrainHead`, a `CLIPGenerator`. */
export const evaSchema = z.strictObject({
  ...baseModelShape,
  /** `{ type: 'CLIPGenerator', tokenizerPath: '…/clip_vit_base_16.pth' }`. */
  targetGenerator: typed<TargetGeneratorConfig>(),
});
export type EVAOptions = z.input<typeof evaSchema>;

/**
 * Builds the CLIP teacher of `who` at `path.targetGenerator` and checks it sees the student's patch
 * grid and that the decoder predicts its width `predicted`.
 */
export function buildClipTeacher(
  who: string,
  cfg: TargetGeneratorConfig,
  path: string,
  vit: VisionTransformer,
  predicted: number,
): CLIPGenerator {
  const teacher = TARGET_GENERATORS.buildAs(cfg, `${path}.targetGenerator`, CLIPGenerator, who);
  const [gh, gw] = vit.gridSize;
  const [ph, pw] = vit.patchEmbed.patchSize;
  const t = teacher.visual;
  try {
    if (t.numTokens - 1 !== gh * gw)
      throw new ConfigError(
        `${path}.targetGenerator`,
        `${who}: the teacher's ${t.imgSize / t.patchSize}² patch grid must be the backbone's ${gh}×${gw} (${gh * ph}×${gw * pw} px)`,
      );
    if (t.imgSize !== gh * ph || t.imgSize !== gw * pw)
      throw new ConfigError(
        `${path}.targetGenerator`,
        `${who}: the teacher's imgSize ${t.imgSize} must be the backbone's ${gh * ph}`,
      );
    if (t.outputDim !== predicted)
      throw new ConfigError(
        `${path}.neck`,
        `${who}: the decoder predicts ${predicted} values per token, the teacher gives ${t.outputDim}`,
      );
  } catch (e) {
    teacher.dispose();
    throw e;
  }
  return teacher;
}

/** EVA (Fang et al. 2023): one view `(N, C, H, W)` → masked CLIP-feature regression loss (2 − 2·cos). */
export class EVA extends BaseModel<MILANPretrainHead, MAEPretrainDecoder> {
  readonly vit: VisionTransformer;
  readonly targetGenerator: CLIPGenerator;

  constructor(o: EVAOptions, path = 'model') {
    const { targetGenerator, ...model } = o;
    super(model, path, { head: MILANPretrainHead, neck: MAEPretrainDecoder });
    if (!(this.backbone instanceof VisionTransformer))
      throw new TypeError(`EVA: ${path}.backbone must be a VisionTransformer (MAEViT), got ${this.backbone.constructor.name}`);
    this.vit = this.backbone;
    checkMAEParts('EVA', this.vit, this.neck, null);
    this.targetGenerator = this.registerModule(
      'target_generator',
      buildClipTeacher('EVA', targetGenerator, path, this.vit, this.neck.predictFeatureDim),
    );
  }

  /** One view → the cosine loss between predicted and CLIP features of the removed patches. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 1, 'EVA');
    return torch.tidy(() => {
      const x = this.preprocess(batch.views[0]);
      const { features } = this.targetGenerator.forward(x);
      const { latent, mask, idsRestore } = this.vit.forwardMasked(x);
      const pred: Tensor = this.neck.forward(latent, idsRestore);
      // The class token's feature has no prediction: MAE's decoder drops it.
      return { loss: this.head.forward(pred, features.slice(1, 1), mask), logs: {} };
    });
  }
}

export const evaPart = definePart({
  registry: ALGORITHMS,
  name: 'EVA',
  schema: evaSchema,
  description: "EVA: MAE whose decoder regresses a frozen CLIP's features of the removed patches (2 − 2·cos)",
  build: (o, path) => new EVA(o, path),
});
