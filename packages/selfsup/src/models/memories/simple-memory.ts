/**
 * MMSelfSup's `SimpleMemory`, the memory bank of NPID (Wu et al. 2018, "Unsupervised Feature
 * Learning via Non-Parametric Instance Discrimination", arXiv:1805.01978, §3.2): one L2-normalised
 * feature per training image, `feature_bank (L, D)`, updated by dataset index with a momentum
 * average and renormalised: v ← normalize((1 − m)·v + m·normalize(f)).
 *
 * The bank is a buffer (state-dict key `memory_bank.feature_bank`), so checkpoints and resumed runs
 * keep it. Its length is the training set's: given in the config (MMSelfSup's `length`), or left
 * out and set by the runner from the dataset (`resize`); a configured length that differs from the
 * dataset's is an error, since unvisited rows would stay random negatives for ever.
 */
import * as torch from '@selfsup/torch';
import { F, nn, type Tensor } from '@selfsup/torch';
import { posInt, prob, z } from '../../core/schema.js';
import { checkIndices, gatherRows } from './gather.js';

/** `memoryBank` of NPID (everything is MMSelfSup's `memory_bank` camelCased). */
export const simpleMemorySchema = z.strictObject({
  type: z.literal('SimpleMemory'),
  /** Rows: the training set's size. Default: the dataset's length, set when training starts. */
  length: posInt().optional(),
  /** Feature dimension (the neck's output). */
  featDim: posInt(),
  /** Weight of the new feature in the update (MMSelfSup: 0.5). */
  momentum: prob(),
});
export type SimpleMemoryOptions = z.input<typeof simpleMemorySchema>;

export class SimpleMemory extends nn.Module {
  readonly featDim: number;
  readonly momentum: number;
  /** The configured length, if any (checked against the dataset's). */
  readonly configuredLength: number | undefined;
  private bank: Tensor;

  constructor(o: SimpleMemoryOptions) {
    super();
    this.featDim = o.featDim;
    this.momentum = o.momentum;
    this.configuredLength = o.length;
    this.bank = this.registerBuffer('feature_bank', randomBank(o.length ?? 0, o.featDim));
  }

  /** `(L, D)`: the L2-normalised features, one row per dataset index. */
  get featureBank(): Tensor {
    return this.bank;
  }

  get length(): number {
    return this.bank.shape[0];
  }

  /**
   * Sizes the bank for a training set of `n` images (the runner calls it before resuming): a new
   * random normalised bank when no length was configured, else a check that they agree.
   */
  resize(n: number, who = 'SimpleMemory'): void {
    if (configuredLengthFits(this.configuredLength, n, who)) return;
    if (this.length === n) return;
    const old = this.bank;
    this.bank = this.registerBuffer('feature_bank', randomBank(n, this.featDim).to({ device: old.device }));
    old.dispose();
  }

  /** Draws `n` uniform random row indices `(n)` int64 from the default generator (MMSelfSup's AliasMethod on equal weights). */
  drawNegatives(n: number): Tensor {
    if (this.length === 0)
      throw new RangeError('SimpleMemory: the bank has no rows; set memoryBank.length or train through the runner');
    return torch.randint(0, this.length, [n], { device: this.bank.device });
  }

  /** Momentum update of the rows `idx (N)` with `feature (N, D)` (every process's, when distributed). */
  update(idx: Tensor, feature: Tensor): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        checkIndices(idx, this.length, 'SimpleMemory');
        if (feature.dim() !== 2 || feature.shape[1] !== this.featDim || feature.shape[0] !== idx.shape[0])
          throw new RangeError(`SimpleMemory: expected (${idx.shape[0]}, ${this.featDim}) features, got [${feature.shape}]`);
        const g = gatherRows(idx.to({ device: this.bank.device }), F.normalize(feature.detach(), { dim: 1 }));
        const old = this.bank.indexSelect(0, g.idx);
        const updated = F.normalize(old.mul(1 - this.momentum).add(g.rows.to({ dtype: old.dtype }).mul(this.momentum)), {
          dim: 1,
        });
        this.bank.indexPut_([g.idx], updated);
      }),
    );
  }

  /** A bank is read and updated, never called. */
  forward(): never {
    throw new TypeError('SimpleMemory: use featureBank, drawNegatives() and update()');
  }

  override extraRepr(): string {
    return `length=${this.length}, feat_dim=${this.featDim}, momentum=${this.momentum}`;
  }
}

/** `(n, d)` rows of N(0, 1) noise, L2-normalised (MMSelfSup's initial bank). */
function randomBank(n: number, d: number): Tensor {
  return torch.noGrad(() => torch.tidy(() => F.normalize(torch.randn([n, d]), { dim: 1 })));
}

/**
 * A memory's configured `memoryBank.length` against the training set's `n` images: true when one is
 * configured and agrees (nothing to allocate), false when none is (size it to `n`); a RangeError
 * naming `who` when they disagree.
 */
export function configuredLengthFits(configured: number | undefined, n: number, who: string): boolean {
  if (configured === undefined) return false;
  if (configured !== n)
    throw new RangeError(
      `${who}: memoryBank.length is ${configured} but the training set has ${n} images; ` +
        `set memoryBank.length to ${n} or leave it out (it defaults to the dataset's length)`,
    );
  return true;
}
