/**
 * MMSelfSup's `ContrastiveHead`: the InfoNCE loss of MoCo (He et al. 2020, arXiv:1911.05722),
 * SimCLR (Chen et al. 2020, arXiv:2002.05709) and DenseCL (Wang et al. 2021, arXiv:2011.09157) on
 * precomputed similarities: `pos (N, 1)`, `neg (N, K)` → mean over N of CE(cat(pos, neg)/τ, 0).
 * No parameters.
 */
import { nn, type Tensor } from '@selfsup/torch';
import { posNum, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { contrastiveLoss } from '../losses/info-nce.js';
import { HEADS } from '../registries.js';

/** `ContrastiveHead` options (everything but `type`). */
export const contrastiveHeadSchema = z.strictObject({
  /** τ. Default 0.1 (MMSelfSup's; MoCo v1 configs use 0.07, MoCo v2 and DenseCL 0.2). */
  temperature: posNum().optional(),
});

export type ContrastiveHeadOptions = z.input<typeof contrastiveHeadSchema>;

export class ContrastiveHead extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly temperature: number;

  constructor(opts: ContrastiveHeadOptions = {}) {
    super();
    this.temperature = opts.temperature ?? 0.1;
    if (!(this.temperature > 0)) throw new RangeError(`ContrastiveHead: temperature must be positive, got ${this.temperature}`);
  }

  /** `pos (N, 1)`, `neg (N, K)` → the scalar loss. */
  forward(pos: Tensor, neg: Tensor): Tensor {
    return contrastiveLoss(pos, neg, this.temperature);
  }

  override extraRepr(): string {
    return `temperature=${this.temperature}`;
  }
}

/** `ContrastiveHead` in HEADS. */
export const contrastiveHeadPart = definePart({
  registry: HEADS,
  name: 'ContrastiveHead',
  schema: contrastiveHeadSchema,
  description: 'InfoNCE on (pos, neg) similarities: CE(cat(pos, neg)/T, 0)',
  build: (o) => new ContrastiveHead(o),
});
