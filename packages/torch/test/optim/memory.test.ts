/**
 * A long training loop with every optimizer, clipping, accumulation, loss scaling, schedules,
 * EMA and state dicts keeps a constant number of live tensors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '../../src/index.js';
import { pseudo } from '../helpers.js';

const { nn, optim } = torch;

test('no tensor leaks over a long loop of steps with every optimizer and helper', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'selfsup-optim-mem-')), 'state.pth');
  const make = () => new nn.Sequential(new nn.Linear(6, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 3));
  const scaler = new optim.GradScaler({ initScale: 256 });
  const setups = [
    (ps: torch.Tensor[]) => new optim.SGD(ps, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }),
    (ps: torch.Tensor[]) => new optim.Adam(ps, { lr: 0.001, weightDecay: 1e-4 }),
    (ps: torch.Tensor[]) => new optim.AdamW(ps, { lr: 0.001, amsgrad: true }),
    (ps: torch.Tensor[]) => new optim.LARS(ps, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 }),
    (ps: torch.Tensor[]) => new optim.LAMB(ps, { lr: 0.01 }),
  ].map((mk, i) => {
    const model = make();
    const opt = mk(model.parameters());
    const wrapper = new optim.OptimWrapper(opt, {
      accumulativeCounts: i === 0 ? 3 : 1,
      clipGrad: i === 1 ? { type: 'value', clipValue: 0.1 } : { maxNorm: 1 },
      gradScaler: i === 2 ? scaler : null,
    });
    const sched = optim.buildParamSchedulers(opt, [
      { type: 'LinearLR', startFactor: 0.1, begin: 0, end: 5, byEpoch: false },
      { type: 'CosineAnnealingLR', begin: 5, end: 100, byEpoch: false },
    ]);
    return { model, opt, wrapper, sched };
  });
  const target = make();
  const ema = new optim.EMA(setups[0].model, target);
  ema.copyFrom();
  const x = torch.tensor(pseudo([16, 6], 1) as number[][], { dtype: 'float32' });
  const y = torch.randint(0, 3, [16]);
  const iteration = (k: number) => {
    for (const s of setups) {
      torch.tidy(() => {
        s.wrapper.updateParams(torch.F.crossEntropy(s.model.call(x), y));
      });
      s.sched.stepIter();
    }
    ema.update(optim.cosineMomentum(0.99, k, 40));
    if (k % 10 === 0) torch.tidy(() => torch.save({ o: setups[2].wrapper.stateDict() }, path));
  };
  iteration(0);
  iteration(1);
  iteration(2);
  const live = torch.memory().liveTensors;
  for (let k = 3; k < 40; k++) iteration(k);
  assert.equal(torch.memory().liveTensors, live, 'live tensors after 37 more iterations');
  for (const s of setups) {
    s.opt.dispose();
    s.model.dispose();
  }
  scaler.dispose();
  x.dispose();
  y.dispose();
  target.dispose();
});
