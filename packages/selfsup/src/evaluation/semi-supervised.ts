/**
 * Semi-supervised fine-tuning: the whole network fine-tuned on 1 % or 10 % of the labels (Chen et
 * al. 2020, SimCLR; Zhai et al. 2019, S4L; MMSelfSup's `benchmarks/classification/imagenet/
 * imagenet_1percent|imagenet_10percent`). The labelled subsets here are class-balanced and seeded
 * (the same fraction of every class); the recipe is MMSelfSup's `resnet50_head1_4xb64-steplr1e-1-
 * 20e_in1k-{1,10}pct`: SGD with momentum 0.9, lr 0.1 with the head at lr × 1 (the configs sweep
 * lr 0.1/0.01/0.001 × head 1/10/100), weight decay 5e-4 (1 %) or 1e-4 (10 %) on every parameter,
 * batch 256, 20 epochs with the lr × 0.2 at epochs 12 and 16.
 */
import type { Dataset } from '../data/datasets/base.js';
import { Subset } from '../data/datasets/subset.js';
import { permutation } from '../data/loader/samplers.js';
import type { FineTuneOptions } from './fine-tune.js';

/**
 * `round(fraction × n_c)` (at least 1) random samples of each class c, from one seeded permutation
 * of the dataset, in dataset order.
 */
export function labelFractionSubset(ds: Dataset, fraction: number, seed = 0): Subset {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`labelFractionSubset: fraction must be in (0, 1], got ${fraction}`);
  const labels = ds.labels;
  if (!labels) throw new Error(`labelFractionSubset: ${ds.describe()} is unlabelled`);
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  const quota = new Map<number, number>();
  for (const [c, n] of counts) quota.set(c, Math.max(1, Math.round(fraction * n)));
  const chosen: number[] = [];
  for (const i of permutation(ds.length, seed)) {
    const c = labels[i];
    const q = quota.get(c) ?? 0;
    if (q > 0) {
      quota.set(c, q - 1);
      chosen.push(i);
    }
  }
  return new Subset(
    ds,
    chosen.sort((a, b) => a - b),
  );
}

/** The label percentages of the benchmark. */
export const SEMI_SUPERVISED_PERCENTS = [1, 10] as const;

/** MMSelfSup's recipe for `percent` % of the labels (see the module docs), without `numClasses`. */
export function semiSupervisedRecipe(
  percent: number,
): Required<
  Pick<
    FineTuneOptions,
    'epochs' | 'optimizer' | 'lr' | 'headLrMult' | 'momentum' | 'weightDecay' | 'decayNormAndBias' | 'multiStep'
  >
> & { batchSize: number } {
  return {
    epochs: 20,
    optimizer: 'sgd',
    lr: 0.1,
    headLrMult: 1,
    momentum: 0.9,
    weightDecay: percent <= 1 ? 5e-4 : 1e-4,
    // MMSelfSup 0.x's SGD decays every parameter.
    decayNormAndBias: true,
    multiStep: { milestones: [12, 16], gamma: 0.2 },
    batchSize: 256,
  };
}
