/**
 * NPID (Wu et al. 2018, "Unsupervised Feature Learning via Non-Parametric Instance Discrimination",
 * arXiv:1805.01978), as MMSelfSup 1.x's `NPID`: every image is its own class. The normalised
 * embedding f of an image (backbone → LinearNeck → L2) is contrasted with its own memory-bank entry
 * (the positive) and `negNum` entries drawn uniformly from the bank (the negatives), with InfoNCE
 * at temperature τ (MMSelfSup's ContrastiveHead: CE(cat(pos, neg)/τ, 0); the paper's NCE
 * approximation of the non-parametric softmax). Then the bank rows of the batch move towards f
 * (`SimpleMemory.update`).
 *
 * One view `(N, C, H, W)` per sample; `batch.idx (N)` are the dataset indices. Negatives come from
 * the default generator (seeded, saved with checkpoints). State-dict keys are MMSelfSup's:
 * `backbone.*`, `neck.*`, `memory_bank.feature_bank (L, D)`.
 */
import * as torch from '@selfsup/torch';
import { F } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, posInt, z } from '../../core/schema.js';
import { ContrastiveHead } from '../heads/contrastive-head.js';
import { SimpleMemory, simpleMemorySchema } from '../memories/simple-memory.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';

/** `NPID` options (everything but `type`): a LinearNeck, a ContrastiveHead (τ 0.07) and a SimpleMemory. */
export const npidSchema = z.strictObject({
  ...baseModelShape,
  memoryBank: simpleMemorySchema,
  /** Negatives drawn per image. Default 65536. */
  negNum: posInt().optional(),
  /** Redraw negatives that hit the image's own row. Default false (MMSelfSup's). */
  ensureNeg: bool().optional(),
});
export type NPIDOptions = z.input<typeof npidSchema>;

export class NPID extends BaseModel<ContrastiveHead> {
  readonly memoryBank: SimpleMemory;
  readonly negNum: number;
  readonly ensureNeg: boolean;

  constructor(o: NPIDOptions, path = 'model') {
    super(o, path, { head: ContrastiveHead });
    this.memoryBank = this.registerModule('memory_bank', new SimpleMemory(o.memoryBank));
    this.negNum = o.negNum ?? 65536;
    this.ensureNeg = o.ensureNeg ?? false;
  }

  override setDatasetLength(n: number): void {
    this.memoryBank.resize(n, 'NPID');
  }

  /** `(N)` per image, `negNum` bank rows: uniform draws, redrawn where they hit `idx` when `ensureNeg`. */
  sampleNegatives(idx: torch.Tensor): torch.Tensor {
    return torch.tidy(() => {
      const bs = idx.shape[0];
      const neg = this.memoryBank.drawNegatives(bs * this.negNum).view([bs, this.negNum]);
      if (this.ensureNeg) {
        if (this.memoryBank.length < 2) throw new RangeError('NPID: ensureNeg needs a memory bank of at least 2 rows');
        for (;;) {
          const wrong = neg.eq(idx.view([-1, 1]));
          const count = wrong.sum().item();
          if (count === 0) break;
          neg.indexPut_([wrong], this.memoryBank.drawNegatives(count));
        }
      }
      return neg.flatten();
    });
  }

  /** InfoNCE of view 0 against its bank row and `negNum` random rows; then the bank update. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 1, 'NPID');
    const idxIn = batch.idx;
    if (!idxIn) throw new TypeError('NPID: the batch has no dataset indices (batch.idx)');
    return torch.tidy(() => {
      const feature = F.normalize(this.encode(this.preprocess(batch.views[0]))[0], { dim: 1 });
      const [bs, featDim] = feature.shape;
      if (featDim !== this.memoryBank.featDim)
        throw new RangeError(`NPID: the neck gives ${featDim}-d features but memoryBank.featDim is ${this.memoryBank.featDim}`);
      if (idxIn.shape[0] !== bs) throw new RangeError(`NPID: ${idxIn.shape[0]} indices for ${bs} images`);
      const idx = idxIn.to({ device: feature.device });
      const bank = this.memoryBank.featureBank;
      if (bank.shape[0] === 0)
        throw new RangeError('NPID: the memory bank has no rows; set memoryBank.length or train through the runner');
      const negIdx = this.sampleNegatives(idx);
      // indexSelect copies: the in-place bank update below leaves these rows as they were.
      const posFeat = bank.indexSelect(0, idx).to({ dtype: feature.dtype });
      const negFeat = bank.indexSelect(0, negIdx).to({ dtype: feature.dtype }).view([bs, this.negNum, featDim]);
      const pos = posFeat.mul(feature).sum(1, { keepdim: true });
      const neg = negFeat.bmm(feature.unsqueeze(2)).squeeze(2);
      const loss = this.head.forward(pos, neg);
      this.memoryBank.update(idx, feature.detach());
      return { loss, logs: { loss_contrastive: loss.item() } };
    });
  }
}

export const npidPart = definePart({
  registry: ALGORITHMS,
  name: 'NPID',
  schema: npidSchema,
  description: 'NPID: instance discrimination against a momentum memory bank of every image, sampled negatives',
  build: (o, path) => new NPID(o, path),
});
