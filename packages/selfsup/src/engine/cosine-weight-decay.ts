/**
 * mmpretrain's `CosineAnnealingWeightDecay` (the weight-decay schedule of SparK's recipes, Tian et
 * al. 2023): MMEngine's cosine annealing applied to each group's weight decay, towards `etaMin`
 * (which may lie above the initial decay: SparK's grows from 0.04 to 0.2), except that a group
 * whose initial decay is 0 (biases, norms, mask tokens) keeps 0 throughout, where a plain
 * `CosineAnnealingLR` on `weightDecay` would raise it too.
 */
import { optim } from '@selfsup/torch';

type Options = Omit<optim.CosineAnnealingLROptions, 'param'>;

/** Cosine annealing of the weight decay; zero-decay groups stay at zero. */
export class CosineAnnealingWeightDecay extends optim.CosineAnnealingLR {
  constructor(optimizer: optim.HyperparamTarget, opts: Options = {}) {
    super(optimizer, { ...opts, param: 'weightDecay' });
  }

  /** An iteration-based schedule from epoch-based options (MMEngine's `convert_to_iter_based`). */
  static override fromEpochs(optimizer: optim.HyperparamTarget, opts: Options, epochLength: number): CosineAnnealingWeightDecay {
    return new CosineAnnealingWeightDecay(optimizer, optim.epochsToIters(opts, epochLength, ['tMax']));
  }

  protected override getValue(): number[] {
    return super.getValue().map((v, i) => (this.baseValues[i] === 0 ? 0 : v));
  }
}
