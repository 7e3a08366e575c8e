/** Shared fixtures for algorithm tests: a tiny CPU backbone config, a fixed batch, a few SGD steps. */
import * as torch from '@selfsup/torch';
import type { Algorithm, AlgorithmInput } from '../../../src/models/algorithms/base.js';
import type { TrainProgress } from '../../../src/core/progress.js';

/** ResNet-18 at ⅛ width with the CIFAR stem: 64 features, fast on 16 px images. */
export const tinyResNet = { type: 'ResNet', depth: 18, widthMultiplier: 0.125, cifarStem: true } as const;

/** `numViews` views of `n` random uint8 images `(n, 3, size, size)`, seeded. */
export function fixedBatch(numViews: number, n = 8, size = 16, seed = 0, sizes?: number[]): AlgorithmInput {
  const g = new torch.Generator().manualSeed(seed);
  return torch.keep({
    views: Array.from({ length: numViews }, (_, v) => {
      const s = sizes?.[v] ?? size;
      return torch.randint(0, 256, [n, 3, s, s], { generator: g }).to({ dtype: 'uint8' });
    }),
    idx: torch.arange(n),
  });
}

/**
 * Trains `steps` SGD steps (momentum 0.9) on the same batch and returns each step's loss; the
 * algorithm sees a progress of `iter`/`steps`.
 */
export function trainSteps(algo: Algorithm, batch: AlgorithmInput, steps = 10, lr = 0.05): number[] {
  algo.train();
  const params = algo.parameters().filter((p) => p.requiresGrad);
  const opt = new torch.optim.SGD(params, { lr, momentum: 0.9, weightDecay: 0 });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const progress: TrainProgress = { epoch: 0, iter: i, maxEpochs: 1, maxIters: steps };
    losses.push(
      torch.tidy(() => {
        opt.zeroGrad();
        const out = algo.loss(batch, progress);
        out.loss.backward();
        opt.step();
        return out.loss.item();
      }),
    );
  }
  opt.dispose();
  return losses;
}
