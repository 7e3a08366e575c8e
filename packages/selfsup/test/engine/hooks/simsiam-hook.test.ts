import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import '../../../src/models/backbones/resnet.js';
import { PRIORITY, type RunnerView } from '../../../src/engine/hooks/hook.js';
import { SimSiamHook } from '../../../src/engine/hooks/simsiam-hook.js';
import { buildOptimWrapper } from '../../../src/engine/optim-builder.js';
import { SimSiam } from '../../../src/models/algorithms/simsiam.js';
import { assertClose } from '../../helpers.js';
import { tinyResNet } from '../../models/algorithms/fixture.js';
import { HOOKS } from '../../../src/engine/registries.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

/** SimSiam at toy width: the predictor is `head.predictor`. */
const simsiamCfg = {
  type: 'SimSiam',
  backbone: tinyResNet,
  neck: { type: 'NonLinearNeck', inChannels: 64, hidChannels: 32, outChannels: 32, numLayers: 3, withLastBnAffine: false },
  head: {
    type: 'LatentPredictHead',
    predictor: { type: 'NonLinearNeck', inChannels: 32, hidChannels: 8, outChannels: 32, withAvgPool: false, withLastBn: false },
  },
};

/** SimSiam's optimizer (MMSelfSup's config at toy size) with the predictor's groups flagged `fixLr`. */
function setup(hookCfg: Record<string, unknown>) {
  torch.manualSeed(0);
  const model = ALGORITHMS.buildAs(simsiamCfg, 'model', SimSiam, 'test');
  assert.ok(model instanceof SimSiam);
  const optimWrapper = buildOptimWrapper(
    {
      optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
      paramwiseCfg: { customKeys: { predictor: { fixLr: true } } },
    },
    model,
  );
  const scheduler = new torch.optim.CosineAnnealingLR(optimWrapper, { tMax: 4 });
  const hook = HOOKS.build({ type: 'SimSiamHook', fixPredLr: true, lr: 0.05, ...hookCfg }, 'customHooks.0');
  assert.ok(hook instanceof SimSiamHook);
  const runner = { model, optimWrapper } as unknown as RunnerView;
  const flagged = optimWrapper.paramGroups.map((g) => g.extra.fix_lr === true);
  return { model, optimWrapper, scheduler, hook, runner, flagged };
}

test('SimSiamHook keeps the predictor’s lr at the base lr while the cosine schedule lowers the others', () => {
  const { model, optimWrapper, scheduler, hook, runner, flagged } = setup({ adjustByEpoch: false });
  assert.equal(hook.priority, PRIORITY.HIGH);
  assert.ok(flagged.some((f) => f) && flagged.some((f) => !f), 'both kinds of group exist');
  // Every predictor parameter, and only those, sits in a flagged group.
  optimWrapper.paramGroups.forEach((g, i) => {
    const names = g.extra.param_names as string[];
    assert.ok(
      names.every((n) => n.includes('predictor') === flagged[i]),
      `group ${i}: ${names}`,
    );
  });
  for (let iter = 0; iter < 4; iter++) {
    hook.beforeTrainIter?.(runner);
    const lrs = optimWrapper.getLr().lr;
    const cosine = (0.05 * (1 + Math.cos((Math.PI * iter) / 4))) / 2;
    for (const [i, lr] of lrs.entries()) assertClose(lr, flagged[i] ? 0.05 : cosine, 1e-12, `iteration ${iter}, group ${i}`);
    scheduler.step(); // the ParamSchedulerHook, after the iteration
  }
  model.dispose();
});

test('SimSiamHook with adjustByEpoch (the default) sets the lr at epoch starts only', () => {
  const { model, optimWrapper, scheduler, hook, runner, flagged } = setup({});
  const predictorLr = () => optimWrapper.getLr().lr[flagged.indexOf(true)];
  scheduler.step();
  hook.beforeTrainIter?.(runner);
  assert.ok(predictorLr() < 0.05, 'not reset between epochs');
  hook.beforeTrainEpoch?.(runner);
  assert.equal(predictorLr(), 0.05);
  model.dispose();
  assert.throws(() => HOOKS.build({ type: 'SimSiamHook', lr: 0.05 }, 'customHooks.0'), /customHooks\.0\.fixPredLr/);
});
