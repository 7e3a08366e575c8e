/**
 * Gradient clipping against torch.nn.utils.clip_grad_norm_, the OptimWrapper's accumulation and
 * clipping against the same loop written in Python, the GradScaler's CPU path by hand, and EMA
 * target updates by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../../src/index.js';
import { pseudo, py } from '../helpers.js';
import { assertMaxDiff, gradSequence, initialWeights, makeParams, type Nested, setGrads } from './util.js';

const { nn, optim } = torch;

test('clipGradNorm_ matches torch.nn.utils.clip_grad_norm_ for 2-, 1-, 3- and inf-norms', (t) => {
  const grads = gradSequence(1, 2)[0].map((g, i) => g ?? (pseudo([3], 7 + i) as Nested));
  const cases: [number, number | 'inf'][] = [
    [1.0, 2],
    [0.5, 1],
    [0.3, 'inf'],
    [100, 2],
    [2.0, 3],
  ];
  const ref = py<{ norm: number; grads: unknown[] }[]>(
    `OUT = []
for max_norm, p in D['cases']:
    ps = [torch.zeros(len(torch.tensor(g).flatten()), requires_grad=True) for g in D['grads']]
    ps = [torch.zeros(torch.tensor(g).shape, requires_grad=True) for g in D['grads']]
    for q, g in zip(ps, D['grads']):
        q.grad = torch.tensor(g, dtype=torch.float32)
    n = torch.nn.utils.clip_grad_norm_(ps, max_norm, float(p))
    OUT.append({'norm': float(n), 'grads': [q.grad for q in ps]})`,
    { cases, grads },
  );
  cases.forEach(([maxNorm, p], k) => {
    torch.tidy(() => {
      const params = grads.map((g) => torch.zerosLike(torch.tensor(g as number[], { dtype: 'float32' })).requiresGrad_());
      setGrads(params, grads);
      const norm = optim.clipGradNorm_(params, maxNorm, p === 'inf' ? Number.POSITIVE_INFINITY : p);
      const dn = Math.abs(norm - ref[k].norm);
      assert.ok(dn === 0, `norm ${p}: ${norm} vs ${ref[k].norm}`);
      const dg = assertMaxDiff(
        params.map((q) => q.grad?.double().toList()),
        ref[k].grads,
        0,
        `clipped grads (${maxNorm}, ${p})`,
      );
      t.diagnostic(`clip_grad_norm_(${maxNorm}, ${p}): |norm diff| ${dn}, max |grad diff| ${dg}`);
    });
  });
  torch.tidy(() => {
    const [a] = makeParams([[1, 2]]);
    a.grad = torch.tensor([Number.NaN, 1], { dtype: 'float32' });
    assert.throws(() => optim.clipGradNorm_([a], 1, 2, { errorIfNonfinite: true }), /non-finite/);
    assert.equal(optim.clipGradNorm_([], 1), 0);
    a.grad = torch.tensor([3, -4], { dtype: 'float32' });
    optim.clipGradValue_(a, 2);
    assert.deepEqual(a.grad?.toList(), [2, -2]);
  });
});

test('OptimWrapper accumulates 3 iterations (and a last window of 1), clips and steps like the Python loop', (t) => {
  const xs = Array.from({ length: 7 }, (_, i) => pseudo([5, 3], 40 + i) as number[][]);
  const ys = Array.from({ length: 7 }, (_, i) => pseudo([5], 60 + i) as number[]);
  const w0 = pseudo([3], 5) as number[];
  const ref = py<{ w: number[]; norms: number[] }>(
    `w = torch.tensor(D['w0'], dtype=torch.float32, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
norms = []
windows = [[0, 1, 2], [3, 4, 5], [6]]
for win in windows:
    for i in win:
        x = torch.tensor(D['xs'][i], dtype=torch.float32); y = torch.tensor(D['ys'][i], dtype=torch.float32)
        loss = ((x @ w - y) ** 2).mean() / len(win)
        loss.backward()
    norms.append(float(torch.nn.utils.clip_grad_norm_([w], 0.5)))
    opt.step()
    opt.zero_grad(set_to_none=True)
OUT = {'w': w.detach(), 'norms': norms}`,
    { w0, xs, ys },
  );
  const w = torch.tensor(w0, { dtype: 'float32' }).requiresGrad_();
  const wrapper = new optim.OptimWrapper(new optim.SGD([w], { lr: 0.1, momentum: 0.9 }), {
    accumulativeCounts: 3,
    clipGrad: { maxNorm: 0.5 },
  });
  wrapper.initializeCountStatus(0, 7);
  const updated: boolean[] = [];
  const norms: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = torch.tidy(() => {
      const x = torch.tensor(xs[i], { dtype: 'float32' });
      const y = torch.tensor(ys[i], { dtype: 'float32' });
      return wrapper.updateParams(x.matmul(w).sub(y).pow(2).mean());
    });
    updated.push(r.updated);
    if (r.gradNorm !== undefined) norms.push(r.gradNorm);
  }
  assert.deepEqual(updated, [false, false, true, false, false, true, true]);
  const dn = assertMaxDiff(norms, ref.norms, 1e-6, 'gradient norms');
  const dw = assertMaxDiff(w.toList(), ref.w, 1e-6, 'weights');
  t.diagnostic(`OptimWrapper vs Python loop: max |norm diff| ${dn.toExponential(2)}, max |weight diff| ${dw.toExponential(2)}`);
  assert.deepEqual(wrapper.getLr(), { lr: [0.1] });
  assert.deepEqual(wrapper.getMomentum(), { momentum: [0.9] });
  // Schedulers drive an OptimWrapper as they drive an optimizer.
  const sched = new optim.StepLR(wrapper, { stepSize: 1, gamma: 0.5 });
  sched.step();
  assert.deepEqual(wrapper.getLr(), { lr: [0.05] });
  assert.equal(wrapper.optimizer.paramGroups[0].initial.lr, 0.1);
  assert.equal(w.grad, null);
  wrapper.optimizer.dispose();
  w.dispose();
});

test('OptimWrapper.setMaxCounts lengthens a run mid-way: the windows stay, the last one ends at the new length', () => {
  const w = torch.zeros([1]).requiresGrad_();
  const wrapper = new optim.OptimWrapper(new optim.SGD([w], { lr: 0.1 }), { accumulativeCounts: 3 });
  wrapper.initializeCountStatus(0, 7);
  // The loss each iteration is divided by its window's length: 3, 3, 3 | 3, 3, 3 | then 2 for [6, 7].
  const factors: number[] = [];
  const updated: boolean[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === 2) wrapper.setMaxCounts(8);
    torch.tidy(() => {
      using one = torch.ones([1]);
      factors.push(1 / wrapper.scaleLoss(one).item());
      updated.push(wrapper.updateParams(w.sum()).updated);
    });
  }
  assert.deepEqual(
    factors.map((f) => Math.round(f * 1e6) / 1e6),
    [3, 3, 3, 3, 3, 3, 2, 2],
  );
  assert.deepEqual(updated, [false, false, true, false, false, true, false, true]);
  assert.throws(() => wrapper.setMaxCounts(8), /above the 8 iterations counted/);
  wrapper.optimizer.dispose();
  w.dispose();
});

test('GradScaler (CPU path): scales, unscales exactly, skips inf/NaN steps, backs off and grows', () => {
  torch.tidy(() => {
    const scaler = new optim.GradScaler();
    const params = makeParams(initialWeights());
    const plain = makeParams(initialWeights());
    const opt = new optim.SGD(params, { lr: 0.1, momentum: 0.9 });
    const ref = new optim.SGD(plain, { lr: 0.1, momentum: 0.9 });
    const lossOf = (ps: torch.Tensor[]) =>
      ps
        .map((p, i) =>
          p
            .mul(i + 1)
            .pow(2)
            .sum(),
        )
        .reduce((a, b) => a.add(b));
    // Scale 2^16 is a power of two: scaled backward then unscale gives the exact gradients.
    const scaled = scaler.scale(lossOf(params));
    assert.equal(scaled.item(), lossOf(params).item() * 65536);
    scaled.backward();
    lossOf(plain).backward();
    assert.equal(scaler.step(opt), true);
    ref.step();
    params.forEach((p, i) => {
      assert.ok(p.equal(plain[i]), `param ${i} after a scaled step`);
    });
    scaler.update();
    assert.equal(scaler.getScale(), 65536);
    assert.equal(scaler.getGrowthTracker(), 1);
    // An inf gradient: the step is skipped and the scale halves.
    opt.zeroGrad();
    scaler.scale(lossOf(params)).backward();
    const g0 = params[0].grad as torch.Tensor;
    g0.view(-1).indexPut_([0], Number.POSITIVE_INFINITY);
    const before = params.map((p) => p.clone());
    scaler.unscale_(opt);
    assert.throws(() => scaler.unscale_(opt), /already been called/);
    assert.equal(scaler.step(opt), false);
    params.forEach((p, i) => {
      assert.ok(p.equal(before[i]), 'skipped step leaves parameters alone');
    });
    scaler.update();
    assert.equal(scaler.getScale(), 32768);
    assert.equal(scaler.getGrowthTracker(), 0);
    assert.deepEqual(scaler.stateDict(), {
      scale: 32768,
      growth_factor: 2,
      backoff_factor: 0.5,
      growth_interval: 2000,
      _growth_tracker: 0,
    });
    opt.dispose();
    ref.dispose();
    scaler.dispose();
  });
  torch.tidy(() => {
    // Growth after growthInterval clean steps; NaN also counts as an overflow.
    const scaler = new optim.GradScaler({ initScale: 4, growthInterval: 2, growthFactor: 3, backoffFactor: 0.25 });
    const [p] = makeParams([[1, 2]]);
    const opt = new optim.SGD([p], { lr: 0.1 });
    const iteration = (grad: number[]) => {
      scaler.scale(p.sum());
      p.grad = torch.tensor(grad, { dtype: 'float32' });
      const stepped = scaler.step(opt);
      scaler.update();
      return [stepped, scaler.getScale(), scaler.getGrowthTracker()];
    };
    assert.deepEqual(iteration([4, 8]), [true, 4, 1]);
    assert.deepEqual(iteration([4, 8]), [true, 12, 0]);
    assert.deepEqual(iteration([Number.NaN, 8]), [false, 3, 0]);
    assert.deepEqual(iteration([3, 6]), [true, 3, 1]);
    // Unscaled gradients: the last step moved p by 0.1·[1, 2] in total? check the value directly.
    const s2 = new optim.GradScaler();
    s2.loadStateDict(scaler.stateDict() as torch.optim.GradScalerState);
    assert.equal(s2.getScale(), 3);
    assert.equal(s2.getGrowthTracker(), 1);
    opt.dispose();
    scaler.dispose();
  });
});

test('OptimWrapper with a GradScaler unscales before clipping (same norm and step as without scaling)', () => {
  torch.tidy(() => {
    const run = (scaler: torch.optim.GradScaler | null) => {
      const params = makeParams(initialWeights());
      const wrapper = new optim.OptimWrapper(new optim.AdamW(params, { lr: 0.01 }), {
        clipGrad: { maxNorm: 0.1 },
        gradScaler: scaler,
      });
      const r = wrapper.updateParams(
        params
          .map((p, i) =>
            p
              .mul(i + 1)
              .pow(2)
              .sum(),
          )
          .reduce((a, b) => a.add(b)),
      );
      const out = { norm: r.gradNorm, w: params.map((p) => p.toList()), sd: wrapper.stateDict() };
      wrapper.optimizer.dispose();
      return out;
    };
    const a = run(null);
    const scaler = new optim.GradScaler({ initScale: 1024 });
    const b = run(scaler);
    assert.equal(b.norm, a.norm);
    assert.deepEqual(b.w, a.w);
    assert.deepEqual(Object.keys(b.sd), ['state', 'param_groups', 'loss_scaler']);
    scaler.dispose();
  });
});

test('EMA: target = m·target + (1 − m)·online for parameters, buffers copied', () => {
  const online = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
  const target = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
  const ema = new optim.EMA(online, target);
  assert.ok(target.parameters().every((p) => !p.requiresGrad));
  ema.copyFrom();
  for (const [i, p] of target.parameters().entries()) assert.ok(p.equal(online.parameters()[i]));
  // Move the online network: new weights and new batch-norm statistics.
  torch.noGrad(() => {
    for (const p of online.parameters()) p.add_(0.5).mul_(1.5);
  });
  torch.tidy(() => online.call(torch.tensor(pseudo([4, 3], 3) as number[][], { dtype: 'float32' })));
  const t0 = target.parameters().map((p) => (p.toList() as number[] | number[][]).flat());
  const o = online.parameters().map((p) => (p.toList() as number[] | number[][]).flat());
  ema.update(0.9);
  target.parameters().forEach((p, i) => {
    const got = (p.toList() as number[] | number[][]).flat();
    got.forEach((v, j) => {
      const expected = 0.9 * t0[i][j] + 0.1 * o[i][j];
      assert.ok(Math.abs(v - expected) < 1e-6, `param ${i}[${j}]: ${v} vs ${expected}`);
    });
  });
  const onlineBuffers = online.buffers();
  target.buffers().forEach((b, i) => {
    assert.ok(b.equal(onlineBuffers[i]), `buffer ${i} copied`);
  });
  assert.throws(() => ema.update(1.5), /momentum/);
  assert.throws(() => new optim.EMA(online, new nn.Linear(3, 2)), /counts|no parameter/);
  online.dispose();
  target.dispose();
});
