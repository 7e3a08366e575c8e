import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { DINOHead } from '../../../src/models/heads/dino-head.js';
import { teacherTemperature } from '../../../src/models/losses/dino.js';
import { HEADS } from '../../../src/models/registries.js';
import { assertClose, gradCheck, pseudo, py } from '../../helpers.js';
import type { TrainProgress } from '../../../src/core/progress.js';
import '../../../src/builtins.js';

const f64 = (x: unknown) => torch.tensor(x as number[], { dtype: 'float64' });
const at = (epoch: number): TrainProgress => ({ epoch, iter: epoch * 10, maxEpochs: 100, maxIters: 1000 });

const student = pseudo([12, 5], 1).map((r) => (r as number[]).map((v) => 3 * v)); // 4 crops × N = 3, K = 5
const teacher = pseudo([6, 5], 2).map((r) => (r as number[]).map((v) => 3 * v));
const center = pseudo([1, 5], 3);

test('DINOHead matches the official DINOLoss in PyTorch (τ_t from the epoch, centre EMA), with gradients', () => {
  // facebookresearch/dino's DINOLoss.forward/update_center, re-stated, at epoch 10 of a 30-epoch warm-up.
  const ref = py<{ loss: number; grad: number[][]; center: number[][]; temp: number }>(
    `
import numpy as np, torch.nn.functional as F
sched = np.concatenate((np.linspace(0.04, 0.07, 30), np.ones(70) * 0.07))
temp = sched[10]
S = T(D['student']).requires_grad_(True); Tt = T(D['teacher']); c = T(D['center'])
s = (S / 0.1).chunk(4)
t = F.softmax((Tt - c) / temp, dim=-1).detach().chunk(2)
total = 0; n = 0
for iq, q in enumerate(t):
    for v in range(len(s)):
        if v == iq: continue
        total += torch.sum(-q * F.log_softmax(s[v], dim=-1), dim=-1).mean(); n += 1
loss = total / n
loss.backward()
new_c = c * 0.9 + Tt.sum(0, keepdim=True) / len(Tt) * 0.1
OUT = {'loss': loss, 'grad': S.grad, 'center': new_c, 'temp': float(temp)}`,
    { student, teacher, center },
  );
  torch.tidy(() => {
    const head = HEADS.build({ type: 'DINOHead', outChannels: 5, numCrops: 4 }, 'head');
    assert.ok(head instanceof DINOHead);
    head.to('float64');
    torch.noGrad(() => head.center.copy_(f64(center)));
    assertClose(head.teacherTempAt(at(10)), ref.temp, 1e-15, 'τ_t');
    const s = f64(student).requiresGrad_(true);
    const l = head.forward(s, f64(teacher), at(10));
    l.backward();
    assertClose(l.item(), ref.loss, 1e-10, 'loss');
    assertClose(s.grad as torch.Tensor, ref.grad, 1e-10, 'student gradient');
    assertClose(head.center, ref.center, 1e-12, 'centre after the update');
    assert.deepEqual(Object.keys(head.stateDict()), ['center']);
  });
});

test('DINO centre: c ← 0.9·c + 0.1·mean(teacher), by hand; not moved in eval mode', () => {
  torch.tidy(() => {
    const loss = new DINOHead({ outChannels: 2, centerMomentum: 0.9 }).to('float64');
    const t = f64([
      [1, 2],
      [3, 6],
    ]);
    loss.forward(
      f64([
        [0, 0],
        [1, 1],
      ]),
      t,
      at(0),
    );
    assertClose(loss.center, [[0.2, 0.4]], 1e-15, 'first update from 0: 0.1 × [2, 4]');
    loss.forward(
      f64([
        [0, 0],
        [1, 1],
      ]),
      t,
      at(0),
    );
    assertClose(loss.center, [[0.9 * 0.2 + 0.2, 0.9 * 0.4 + 0.4]], 1e-15, 'second update');
    loss.eval();
    loss.forward(
      f64([
        [0, 0],
        [1, 1],
      ]),
      t,
      at(0),
    );
    assertClose(loss.center, [[0.38, 0.76]], 1e-15, 'eval: unchanged');
  });
});

test('teacher temperature: linear per epoch from 0.04 to 0.07 over the warm-up, then 0.07', () => {
  assert.equal(teacherTemperature(0, 0.04, 0.07, 30), 0.04);
  assertClose(teacherTemperature(29, 0.04, 0.07, 30), 0.07, 1e-15, 'last warm-up epoch');
  assertClose(teacherTemperature(15, 0.04, 0.07, 30), 0.04 + (0.03 * 15) / 29, 1e-15, 'mid warm-up');
  assert.equal(teacherTemperature(30, 0.04, 0.07, 30), 0.07);
  assert.equal(teacherTemperature(0, 0.04, 0.07, 0), 0.07, 'no warm-up');
  assert.equal(teacherTemperature(0, 0.04, 0.07, 1), 0.04, 'one warm-up epoch: linspace(a, b, 1) = [a]');
  const l = new DINOHead({ outChannels: 3 });
  assert.equal(l.teacherTempAt(), 0.07, 'without progress: the final value');
});

test('DINOHead gradient w.r.t. the student matches finite differences; crop counts are checked', () => {
  const loss = new DINOHead({ outChannels: 4, warmupTeacherTempEpochs: 0 }).to('float64');
  loss.eval(); // keep the centre fixed between the finite-difference evaluations
  const t = f64(pseudo([4, 4], 7));
  gradCheck((s) => loss.forward(s, t).reshape([1]), [f64(pseudo([6, 4], 8))]);
  torch.tidy(() => {
    const fixed = new DINOHead({ outChannels: 4, numCrops: 4 });
    assert.throws(() => fixed.forward(torch.zeros([6, 4]), torch.zeros([4, 4])), /configured for 4 crops but got 3/);
  });
});
