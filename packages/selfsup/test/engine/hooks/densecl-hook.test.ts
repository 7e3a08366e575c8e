import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import { DenseCLHook } from '../../../src/engine/hooks/densecl-hook.js';
import type { RunnerView } from '../../../src/engine/hooks/hook.js';
import type { Algorithm } from '../../../src/models/algorithms/base.js';
import { DenseCL } from '../../../src/models/algorithms/densecl.js';
import { fixedBatch, tinyResNet } from '../../models/algorithms/fixture.js';
import { HOOKS } from '../../../src/engine/registries.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

// Tiny models gain nothing from intra-op threads, and spinning threads slow a shared machine down.
torch.setNumThreads(1);

const denseclCfg = {
  type: 'DenseCL',
  backbone: tinyResNet,
  neck: { type: 'DenseCLNeck', inChannels: 64, hidChannels: 64, outChannels: 16 },
  head: { type: 'ContrastiveHead', temperature: 0.2 },
  featDim: 16,
};

/** The part of a runner the hook reads: the model and the iteration in flight. */
function runnerAt(model: Algorithm, iter: number): RunnerView {
  return { model, progress: { epoch: 0, iter, maxEpochs: 1, maxIters: 10 } } as unknown as RunnerView;
}

test('DenseCLHook holds λ at 0 for the first startIters iterations, then restores the configured λ', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs({ ...denseclCfg, queueLen: 64, lossLambda: 0.4 }, 'model', DenseCL, 'test');
  assert.ok(algo instanceof DenseCL);
  const hook = HOOKS.build({ type: 'DenseCLHook', startIters: 3 }, 'customHooks.0');
  assert.ok(hook instanceof DenseCLHook);
  assert.equal(new DenseCLHook().startIters, 1000, "MMSelfSup's default");
  hook.beforeRun?.(runnerAt(algo, 0));
  const seen: number[] = [];
  const dense: number[] = [];
  for (let iter = 0; iter < 5; iter++) {
    hook.beforeTrainIter?.(runnerAt(algo, iter));
    seen.push(algo.lossLambda);
    dense.push(torch.tidy(() => algo.loss(fixedBatch(2)).logs.loss_dense));
  }
  assert.deepEqual(seen, [0, 0, 0, 0.4, 0.4]);
  assert.deepEqual(dense.slice(0, 3), [0, 0, 0], 'no dense loss during warm-up');
  assert.ok(dense[3] > 0 && dense[4] > 0);
  // Resuming past the warm-up keeps the configured λ.
  const resumed = new DenseCLHook({ startIters: 3 });
  resumed.beforeRun(runnerAt(algo, 7));
  resumed.beforeTrainIter(runnerAt(algo, 7));
  assert.equal(algo.lossLambda, 0.4);
  algo.dispose();
  assert.throws(() => HOOKS.build({ type: 'DenseCLHook', startIters: -1 }, 'customHooks.0'), /customHooks\.0\.startIters/);
});

test('DenseCLHook refuses a model without lossLambda', () => {
  const hook = new DenseCLHook();
  const notDense = { constructor: { name: 'SimCLR' } } as unknown as Algorithm;
  assert.throws(() => hook.beforeRun(runnerAt(notDense, 0)), /SimCLR\) has no numeric lossLambda/);
});
