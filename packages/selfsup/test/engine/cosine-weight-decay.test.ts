/**
 * mmpretrain's CosineAnnealingWeightDecay by hand: from each group's decay towards etaMin (SparK:
 * upwards, 0.04 → 0.2) along η + (v₀ − η)(1 + cos(πt/T))/2, zero-decay groups kept at 0, epochs
 * converted to iterations.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { PARAM_SCHEDULERS } from '../../src/engine/registries.js';
import '../../src/builtins.js';

test('CosineAnnealingWeightDecay: cosine from each group’s decay to etaMin per iteration, zero-decay groups stay 0', () => {
  const ps = [0, 1, 2].map(() => torch.zeros([1]).requiresGrad_());
  const opt = new torch.optim.LAMB(
    [{ params: [ps[0]] }, { params: [ps[1]], weightDecay: 0 }, { params: [ps[2]], weightDecay: 0.1 }],
    { lr: 0.1, weightDecay: 0.04 },
  );
  const L = 3; // iterations per epoch
  const sched = PARAM_SCHEDULERS.build(
    { type: 'CosineAnnealingWeightDecay', etaMin: 0.2, tMax: 4, byEpoch: true, begin: 0, end: 4, convertToIterBased: true },
    'paramScheduler.0',
  )(opt, { epochLength: L });
  const T = 4 * L;
  const closed = (v0: number, t: number) => 0.2 + ((v0 - 0.2) * (1 + Math.cos((Math.PI * t) / T))) / 2;
  // Active on [begin, end): the last value set is at iteration T − 1.
  for (let t = 0; t < T; t++) {
    const wd = [0, 1, 2].map((i) => opt.getHyper(i, 'weightDecay'));
    assert.ok(Math.abs(wd[0] - closed(0.04, t)) < 1e-12, `iteration ${t}: ${wd[0]} vs ${closed(0.04, t)}`);
    assert.equal(wd[1], 0, `iteration ${t}: the zero-decay group`);
    assert.ok(Math.abs(wd[2] - closed(0.1, t)) < 1e-12, `iteration ${t}: the third group`);
    sched.step();
  }
  assert.throws(() => PARAM_SCHEDULERS.build({ type: 'CosineAnnealingWeightDecay', param: 'lr' }, 'paramScheduler.0'), /param/);
});
