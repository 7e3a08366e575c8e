/**
 * MILAN, "MILAN: Masked Image Pretraining on Language Assisted Representation" (Hou et al. 2022,
 * arXiv:2208.06049), as MMSelfSup 1.x's `MILAN`: a frozen CLIP image encoder (`CLIPGenerator`) gives
 * every token's feature and its class token's attention to the patches; the `MILANViT` keeps a
 * quarter of the patches, drawn without replacement with probabilities proportional to that
 * attention; the `MILANPretrainDecoder` predicts every token's CLIP feature with the visible tokens
 * as fixed prompts; the `MILANPretrainHead` (2 − 2·cos) compares prediction and teacher over all
 * 1 + L tokens (MMSelfSup passes no mask: visible tokens and the class token count too):
 *
 *   L = mean over tokens t of (2 − 2·cos(pred_t, clip_t)).
 *
 * One view `(N, C, H, W)`: `views[0]`. Keys: `backbone.*` (timm's ViT names), `neck.*`,
 * `target_generator.tokenizer.visual.*` (the teacher, OpenAI's names; frozen).
 */
import * as torch from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { typed, z } from '../../core/schema.js';
import type { TargetGeneratorConfig } from '../../part-configs.js';
import { MILANViT } from '../backbones/milan-vit.js';
import { MILANPretrainHead } from '../heads/milan-head.js';
import { MILANPretrainDecoder } from '../necks/milan-pretrain-decoder.js';
import { ALGORITHMS } from '../registries.js';
import type { CLIPGenerator } from '../target-generators/clip-generator.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import { buildClipTeacher } from './eva.js';
import { checkMAEParts } from './mae.js';

/** `MILAN` options: a `MILANViT`, a `MILANPretrainDecoder`, a `MILANPretrainHead`, a `CLIPGenerator`. */
export const milanSchema = z.strictObject({
  ...baseModelShape,
  /** `{ type: 'CLIPGenerator', tokenizerPath: '…/clip_vit_base_16.pth' }`. */
  targetGenerator: typed<TargetGeneratorConfig>(),
});
export type MILANOptions = z.input<typeof milanSchema>;

/** MILAN (Hou et al. 2022): one view `(N, C, H, W)` → CLIP-feature regression with attention-guided masking. */
export class MILAN extends BaseModel<MILANPretrainHead, MILANPretrainDecoder> {
  readonly vit: MILANViT;
  readonly targetGenerator: CLIPGenerator;

  constructor(o: MILANOptions, path = 'model') {
    const { targetGenerator, ...model } = o;
    super(model, path, { head: MILANPretrainHead, neck: MILANPretrainDecoder });
    if (!(this.backbone instanceof MILANViT))
      throw new TypeError(`MILAN: ${path}.backbone must be a MILANViT, got ${this.backbone.constructor.name}`);
    this.vit = this.backbone;
    checkMAEParts('MILAN', this.vit, this.neck, null);
    this.targetGenerator = this.registerModule(
      'target_generator',
      buildClipTeacher('MILAN', targetGenerator, path, this.vit, this.neck.predictFeatureDim),
    );
  }

  /** One view → the cosine loss between predicted and CLIP features of every token. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 1, 'MILAN');
    return torch.tidy(() => {
      const x = this.preprocess(batch.views[0]);
      const { features, attention } = this.targetGenerator.forward(x);
      // How much the teacher's class token attends to each patch: the keep probabilities.
      const importance = attention.select(1, 0).slice(1, 1);
      const { latent, idsRestore, idsKeep, idsDump } = this.vit.forwardAttentionMasked(x, importance);
      const pred = this.neck.forward(latent, idsRestore, idsKeep, idsDump);
      return { loss: this.head.forward(pred, features), logs: {} };
    });
  }
}

export const milanPart = definePart({
  registry: ALGORITHMS,
  name: 'MILAN',
  schema: milanSchema,
  description: "MILAN: keep the patches CLIP attends to, regress CLIP's features of all tokens with a prompting decoder",
  build: (o, path) => new MILAN(o, path),
});
