/**
 * mmpretrain's `iTPNClipHead`, the CLIP-target head of iTPN (Tian et al. 2023, "Integrally
 * Pre-Trained Transformer Pyramid Networks", arXiv:2211.12735): a linear layer (`cls_head`,
 * truncated-normal 0.02 weights, zero bias) maps the neck's feature of every masked patch to the
 * teacher's width, and the loss (the 300-epoch recipe: `CosineSimilarityLoss`, −cos) compares it with
 * the CLIP teacher's feature of that patch.
 *
 * Shapes: features `(N, L, C)`, target `(N, L, D)` (the teacher's patch tokens, class token dropped),
 * mask `(N, L)` or `(N, h, w)` with h·w = L (1/true = masked). Only masked rows reach the loss, as
 * mmpretrain's `target[mask]` / `feats[mask]`. Keys: `cls_head.weight`, `cls_head.bias`.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, typed, z } from '../../core/schema.js';
import type { LossConfig } from '../../part-configs.js';
import { HEADS, LOSSES, type LossModule } from '../registries.js';

/** `iTPNClipHead` options (everything but `type`); mmpretrain's recipe: 512 → 512, `CosineSimilarityLoss`. */
export const itpnClipHeadSchema = z.strictObject({
  /** Width of the neck's features. */
  embedDims: posInt(),
  /** Width of the teacher's features (CLIP ViT-B/16: 512). */
  numEmbed: posInt(),
  /** `{ type: 'CosineSimilarityLoss' }` (mmpretrain's 300-epoch recipe). */
  loss: typed<LossConfig>(),
});
export type ITPNClipHeadOptions = z.input<typeof itpnClipHeadSchema>;

/** iTPN's CLIP head: `(N, L, C)` features, `(N, L, D)` teacher features, mask → the loss over masked patches. */
export class ITPNClipHead extends nn.Module<[Tensor, Tensor, Tensor], Tensor> {
  readonly embedDims: number;
  readonly numEmbed: number;
  readonly clsHead: nn.Linear;
  readonly loss: LossModule;

  constructor(o: ITPNClipHeadOptions, path = 'head') {
    super();
    this.embedDims = o.embedDims;
    this.numEmbed = o.numEmbed;
    this.clsHead = this.registerModule('cls_head', new nn.Linear(o.embedDims, o.numEmbed));
    this.loss = this.registerModule('loss_module', LOSSES.build(o.loss, `${path}.loss`));
    this.initWeights();
  }

  /** mmpretrain's `init_cfg`: TruncNormal(std 0.02) linear weights, zero bias. */
  initWeights(): void {
    torch.noGrad(() => {
      nn.init.truncNormal_(this.clsHead.weight, { std: 0.02 });
      this.clsHead.bias?.zero_();
    });
  }

  forward(feats: Tensor, target: Tensor, mask: Tensor): Tensor {
    const [n, l, c] = feats.shape;
    if (feats.dim() !== 3 || c !== this.embedDims)
      throw new RangeError(`iTPNClipHead: features [${feats.shape}] must be (N, L, ${this.embedDims})`);
    if (target.dim() !== 3 || target.shape[0] !== n || target.shape[1] !== l || target.shape[2] !== this.numEmbed)
      throw new RangeError(`iTPNClipHead: target [${target.shape}] must be (${n}, ${l}, ${this.numEmbed}) (numEmbed)`);
    if (mask.shape[0] !== n || mask.numel() !== n * l)
      throw new RangeError(`iTPNClipHead: mask [${mask.shape}] must be (${n}, ${l}) or (${n}, h, w) with h·w = ${l}`);
    return torch.tidy(() => {
      const rows = mask
        .reshape(n * l)
        .to({ dtype: 'bool' })
        .nonzero()
        .squeeze(1);
      if (rows.shape[0] === 0) throw new RangeError('iTPNClipHead: the mask selects no patch');
      const logits = this.clsHead.forward(feats.reshape(n * l, c).indexSelect(0, rows));
      return this.loss.forward(logits, target.reshape(n * l, this.numEmbed).indexSelect(0, rows));
    });
  }
}

/** `iTPNClipHead` in HEADS; its loss is built from LOSSES. */
export const itpnClipHeadPart = definePart({
  registry: HEADS,
  name: 'iTPNClipHead',
  schema: itpnClipHeadSchema,
  description: "iTPN's CLIP head: a linear map of each masked patch's feature, a loss against the CLIP teacher's",
  build: (o, path) => new ITPNClipHead(o, path),
});
