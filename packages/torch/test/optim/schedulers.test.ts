/**
 * Schedules against torch.optim.lr_scheduler (same optimizer settings, same number of steps),
 * MMEngine-style sequences against PyTorch's SequentialLR and the closed forms, epoch→iteration
 * conversion, momentum scheduling and the EMA cosine momentum by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../../src/index.js';
import { py } from '../helpers.js';
import { assertMaxDiff } from './util.js';

const { optim } = torch;
type Target = torch.optim.HyperparamTarget;

/** SGD over two dummy parameter groups with lrs 0.1 and 0.4 (momentum 0.9 for OneCycle). */
function twoGroupSGD(): torch.optim.SGD {
  const a = torch.zeros([1]).requiresGrad_();
  const b = torch.zeros([1]).requiresGrad_();
  return new optim.SGD([{ params: [a] }, { params: [b], lr: 0.4 }], { lr: 0.1, momentum: 0.9 });
}

/** The lrs after construction and after each of `steps` steps (as Python's `get_last_lr()`). */
function sequence(opt: Target, sched: { step(): void }, steps: number, param = 'lr'): number[][] {
  const read = () => opt.paramGroups.map((_, i) => opt.getHyper(i, param));
  const out = [read()];
  for (let k = 0; k < steps; k++) {
    sched.step();
    out.push(read());
  }
  return out;
}

interface PyCase {
  name: string;
  ctor: string;
  steps: number;
  momentum?: boolean;
  adam?: boolean;
}

const PY_CASES: PyCase[] = [
  { name: 'LinearLR', ctor: 'S.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=7)', steps: 12 },
  { name: 'LinearLR decay', ctor: 'S.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=5)', steps: 8 },
  { name: 'CosineAnnealingLR', ctor: 'S.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)', steps: 35 },
  { name: 'MultiStepLR', ctor: 'S.MultiStepLR(opt, milestones=[3, 7, 7], gamma=0.5)', steps: 10 },
  { name: 'StepLR', ctor: 'S.StepLR(opt, step_size=4, gamma=0.3)', steps: 13 },
  { name: 'PolyLR', ctor: 'S.PolynomialLR(opt, total_iters=8, power=2.0)', steps: 11 },
  { name: 'ExponentialLR', ctor: 'S.ExponentialLR(opt, gamma=0.9)', steps: 10 },
  { name: 'OneCycleLR cos', ctor: 'S.OneCycleLR(opt, max_lr=[1.0, 0.5], total_steps=20)', steps: 19, momentum: true },
  {
    name: 'OneCycleLR three-phase linear',
    ctor: "S.OneCycleLR(opt, max_lr=0.8, total_steps=23, pct_start=0.25, anneal_strategy='linear', three_phase=True, div_factor=10.0, final_div_factor=100.0)",
    steps: 22,
    momentum: true,
  },
  {
    name: 'OneCycleLR Adam betas',
    ctor: 'S.OneCycleLR(opt, max_lr=0.01, epochs=3, steps_per_epoch=5, base_momentum=0.8, max_momentum=0.9)',
    steps: 14,
    momentum: true,
    adam: true,
  },
  {
    name: 'warm-up + cosine (SequentialLR)',
    ctor: 'S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.1, total_iters=4), S.CosineAnnealingLR(opt, T_max=15)], milestones=[5])',
    steps: 19,
  },
];

function oursFor(name: string, opt: Target): torch.optim.ParamScheduler | torch.optim.ParamSchedulerList {
  switch (name) {
    case 'LinearLR':
      return new optim.LinearLR(opt, { startFactor: 0.25, endFactor: 1, totalIters: 7 });
    case 'LinearLR decay':
      return new optim.LinearLR(opt, { startFactor: 1, endFactor: 0.1, totalIters: 5 });
    case 'CosineAnnealingLR':
      return new optim.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.001 });
    case 'MultiStepLR':
      return new optim.MultiStepLR(opt, { milestones: [3, 7, 7], gamma: 0.5 });
    case 'StepLR':
      return new optim.StepLR(opt, { stepSize: 4, gamma: 0.3 });
    case 'PolyLR':
      return new optim.PolyLR(opt, { totalIters: 8, power: 2 });
    case 'ExponentialLR':
      return new optim.ExponentialLR(opt, { gamma: 0.9 });
    case 'OneCycleLR cos':
      return new optim.OneCycleLR(opt, { maxLr: [1.0, 0.5], totalSteps: 20 });
    case 'OneCycleLR three-phase linear':
      return new optim.OneCycleLR(opt, {
        maxLr: 0.8,
        totalSteps: 23,
        pctStart: 0.25,
        annealStrategy: 'linear',
        threePhase: true,
        divFactor: 10,
        finalDivFactor: 100,
      });
    case 'OneCycleLR Adam betas':
      return new optim.OneCycleLR(opt, { maxLr: 0.01, epochs: 3, stepsPerEpoch: 5, baseMomentum: 0.8, maxMomentum: 0.9 });
    case 'warm-up + cosine (SequentialLR)':
      // MMEngine's way: two schedulers on [0, 5) and [5, 20) stepped together.
      return optim.buildParamSchedulers(opt, [
        { type: 'LinearLR', startFactor: 0.1, begin: 0, end: 5, byEpoch: false },
        { type: 'CosineAnnealingLR', begin: 5, end: 20, byEpoch: false },
      ]);
    default:
      throw new Error(name);
  }
}

test('every schedule gives torch.optim.lr_scheduler’s lr (and OneCycle’s momentum) sequence', (t) => {
  const ref = py<{ lr: number[][]; m: number[][] }[]>(
    `import warnings
warnings.filterwarnings('ignore')
import torch.optim.lr_scheduler as S
OUT = []
for c in D['cases']:
    a = torch.zeros(1, requires_grad=True); b = torch.zeros(1, requires_grad=True)
    if c.get('adam'):
        opt = torch.optim.Adam([{'params': [a]}, {'params': [b], 'lr': 0.4}], lr=0.1)
        mom = lambda g: g['betas'][0]
    else:
        opt = torch.optim.SGD([{'params': [a]}, {'params': [b], 'lr': 0.4}], lr=0.1, momentum=0.9)
        mom = lambda g: g['momentum']
    sched = eval(c['ctor'])
    lr = [[g['lr'] for g in opt.param_groups]]
    m = [[mom(g) for g in opt.param_groups]]
    for _ in range(c['steps']):
        opt.step()
        sched.step()
        lr.append([g['lr'] for g in opt.param_groups])
        m.append([mom(g) for g in opt.param_groups])
    OUT.append({'lr': lr, 'm': m})`,
    { cases: PY_CASES },
  );
  PY_CASES.forEach((c, k) => {
    const a = torch.zeros([1]).requiresGrad_();
    const b = torch.zeros([1]).requiresGrad_();
    const opt = c.adam
      ? new optim.Adam([{ params: [a] }, { params: [b], lr: 0.4 }], { lr: 0.1 })
      : new optim.SGD([{ params: [a] }, { params: [b], lr: 0.4 }], { lr: 0.1, momentum: 0.9 });
    const sched = oursFor(c.name, opt);
    const lrs: number[][] = [opt.paramGroups.map((_, i) => opt.getHyper(i, 'lr'))];
    const moms: number[][] = [opt.paramGroups.map((_, i) => opt.getHyper(i, 'momentum'))];
    for (let s = 0; s < c.steps; s++) {
      sched.step();
      lrs.push(opt.paramGroups.map((_, i) => opt.getHyper(i, 'lr')));
      moms.push(opt.paramGroups.map((_, i) => opt.getHyper(i, 'momentum')));
    }
    // The same formulas in double precision; only libm's cos/pow (V8 vs glibc) may differ in the last bit.
    const d = assertMaxDiff(lrs, ref[k].lr, 1e-14, `${c.name} lr`);
    const dm = c.momentum ? assertMaxDiff(moms, ref[k].m, 1e-14, `${c.name} momentum`) : 0;
    t.diagnostic(`${c.name}: max |lr diff| ${d.toExponential(2)}${c.momentum ? `, momentum ${dm.toExponential(2)}` : ''}`);
    opt.dispose();
    a.dispose();
    b.dispose();
  });
});

test('warm-up + cosine by epochs converted to iterations follows the closed forms', () => {
  const opt = twoGroupSGD();
  // 2 warm-up epochs (linear from 0.01×), then cosine to eta_min over epochs [2, 6), 5 iterations an epoch.
  const L = 5;
  const list = optim.buildParamSchedulers(
    opt,
    [
      { type: 'LinearLR', startFactor: 0.01, byEpoch: true, begin: 0, end: 2, convertToIterBased: true },
      { type: 'CosineAnnealingLR', byEpoch: true, begin: 2, end: 6, etaMin: 1e-4, convertToIterBased: true },
    ],
    { epochLength: L },
  );
  assert.ok(list.schedulers.every((s) => !s.byEpoch && s.begin % L === 0));
  const got = sequence(opt, { step: () => list.stepIter() }, 6 * L - 1);
  const base = [0.1, 0.4];
  got.forEach((lrs, k) => {
    lrs.forEach((lr, g) => {
      let expected: number;
      if (k < 2 * L) expected = base[g] * (0.01 + ((1 - 0.01) * k) / (2 * L - 1));
      else expected = 1e-4 + ((base[g] - 1e-4) * (1 + Math.cos((Math.PI * (k - 2 * L)) / (4 * L)))) / 2;
      assert.ok(Math.abs(lr - expected) <= 1e-12 * (1 + expected), `iteration ${k} group ${g}: ${lr} vs ${expected}`);
    });
  });
  // Epoch stepping leaves iteration-based schedules alone.
  const before = opt.getHyper(0, 'lr');
  list.stepEpoch();
  assert.equal(opt.getHyper(0, 'lr'), before);
  opt.dispose();
});

test('PolyLR with eta_min, CosineAnnealingLR with eta_min_ratio, and a momentum schedule on Adam’s beta1', () => {
  const opt = twoGroupSGD();
  const poly = new optim.PolyLR(opt, { power: 0.9, etaMin: 0.01, begin: 0, end: 11, byEpoch: false });
  const seq = sequence(opt, poly, 14);
  seq.forEach((lrs, k) => {
    const t = Math.min(k, 10);
    lrs.forEach((lr, g) => {
      const base = [0.1, 0.4][g];
      const expected = 0.01 + (base - 0.01) * (1 - t / 10) ** 0.9;
      assert.ok(Math.abs(lr - expected) <= 1e-12, `poly step ${k}: ${lr} vs ${expected}`);
    });
  });
  opt.dispose();

  const opt2 = twoGroupSGD();
  const cos = new optim.CosineAnnealingLR(opt2, { tMax: 8, etaMinRatio: 0.1 });
  sequence(opt2, cos, 8).forEach((lrs, k) => {
    lrs.forEach((lr, g) => {
      const base = [0.1, 0.4][g];
      const expected = 0.1 * base + (base - 0.1 * base) * ((1 + Math.cos((Math.PI * k) / 8)) / 2);
      assert.ok(Math.abs(lr - expected) <= 1e-12, `cosine ratio step ${k}`);
    });
  });
  opt2.dispose();

  const p = torch.zeros([2]).requiresGrad_();
  const adam = new optim.Adam([p], { betas: [0.9, 0.999] });
  const mom = new optim.CosineAnnealingLR(adam, { param: 'momentum', tMax: 4, etaMin: 0.85, byEpoch: false });
  const m = sequence(adam, mom, 4, 'momentum').map((v) => v[0]);
  const expected = [0, 1, 2, 3, 4].map((k) => 0.85 + ((0.9 - 0.85) * (1 + Math.cos((Math.PI * k) / 4))) / 2);
  assertMaxDiff(m, expected, 1e-15, 'beta1 schedule');
  assert.equal(adam.paramGroups[0].betas[1], 0.999);
  assert.equal(adam.paramGroups[0].initial.momentum, 0.9);
  adam.dispose();
  p.dispose();
});

test('the EMA cosine momentum schedule: m = 1 − (1 − m0)(cos(πk/K) + 1)/2', () => {
  // By hand: cos(0) = 1 → m0; cos(π/3) = 1/2 → 1 − 0.01·0.75; cos(π/2) = 0 → 1 − 0.01·0.5; cos(π) = −1 → 1.
  assert.ok(Math.abs(optim.cosineMomentum(0.99, 0, 300) - 0.99) < 1e-15);
  assert.ok(Math.abs(optim.cosineMomentum(0.99, 100, 300) - 0.9925) < 1e-15);
  assert.ok(Math.abs(optim.cosineMomentum(0.99, 150, 300) - 0.995) < 1e-15);
  assert.equal(optim.cosineMomentum(0.99, 300, 300), 1);
  assert.equal(optim.cosineMomentum(0.99, 400, 300), 1);
  assert.ok(Math.abs(optim.cosineMomentum(0.996, 50, 100, 0.999) - (0.999 - 0.003 * 0.5)) < 1e-15);
  const s = new optim.CosineEMAMomentum(0.99, 4);
  const vals = [s.value, s.step(), s.step(), s.step(), s.step()];
  const hand = [0.99, 1 - 0.01 * ((Math.SQRT1_2 + 1) / 2), 0.995, 1 - 0.01 * ((1 - Math.SQRT1_2) / 2), 1];
  assertMaxDiff(vals, hand, 1e-15, 'CosineEMAMomentum');
  const s2 = new optim.CosineEMAMomentum(0.99, 4);
  s2.loadStateDict(s.stateDict());
  assert.equal(s2.value, 1);
});

test('scheduler state dicts resume the sequence exactly', () => {
  const mk = () => {
    const opt = twoGroupSGD();
    const list = optim.buildParamSchedulers(opt, [
      { type: 'LinearLR', startFactor: 0.2, begin: 0, end: 4, byEpoch: false },
      { type: 'CosineAnnealingLR', begin: 4, end: 30, byEpoch: false, etaMin: 0.001 },
    ]);
    return { opt, list };
  };
  const a = mk();
  for (let k = 0; k < 20; k++) a.list.step();
  const b = mk();
  for (let k = 0; k < 9; k++) b.list.step();
  const saved = torch.tidy(() => ({ opt: b.opt.stateDict(), sched: b.list.stateDict() }));
  const c = mk();
  c.opt.loadStateDict(saved.opt);
  c.list.loadStateDict(JSON.parse(JSON.stringify(saved.sched)));
  for (let k = 9; k < 20; k++) c.list.step();
  assert.deepEqual(
    c.opt.paramGroups.map((g) => g.lr),
    a.opt.paramGroups.map((g) => g.lr),
  );
  assert.deepEqual(c.list.schedulers[1].getLastValue(), a.list.schedulers[1].getLastValue());
  for (const x of [a, b, c]) x.opt.dispose();
});
