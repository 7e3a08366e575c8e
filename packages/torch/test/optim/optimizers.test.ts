/**
 * Optimizer updates against PyTorch: the same initial weights and gradient sequences (one
 * parameter without a gradient at step 3) run through ours and through torch.optim (SGD, Adam,
 * AdamW) or Python references written from MMSelfSup's LARS and timm's Lamb formulas.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../../src/index.js';
import { setForeachKernels } from '../../src/optim/foreach.js';
import { py } from '../helpers.js';
import {
  assertMaxDiff,
  camelize,
  gradSequence,
  initialWeights,
  makeParams,
  type Nested,
  PY_REFERENCE_OPTIMIZERS,
  setGrads,
} from './util.js';

const { optim } = torch;

type Kind = 'SGD' | 'Adam' | 'AdamW' | 'LARS' | 'LAMB';
interface Case {
  name: string;
  kind: Kind;
  /** Constructor options in PyTorch's names. */
  defaults: Record<string, unknown>;
  /** Groups: parameter indices and options in PyTorch's names (fed to ours unchanged: snake_case is accepted). */
  groups: ({ idx: number[] } & Record<string, unknown>)[];
  /** Gradient scale (LAMB's clipping needs a large global norm). */
  scale?: number;
}

const STEPS = 6;

const CASES: Case[] = [
  {
    name: 'SGD momentum+nesterov+wd / dampening+maximize',
    kind: 'SGD',
    defaults: { lr: 0.1 },
    groups: [
      { idx: [0, 1], momentum: 0.9, nesterov: true, weight_decay: 0.01 },
      { idx: [2], lr: 0.05, momentum: 0.8, dampening: 0.1, maximize: true, weight_decay: 0.001 },
    ],
  },
  { name: 'SGD plain', kind: 'SGD', defaults: { lr: 0.2 }, groups: [{ idx: [0, 1, 2] }] },
  {
    name: 'Adam wd / amsgrad+maximize+betas',
    kind: 'Adam',
    defaults: { lr: 0.01 },
    groups: [
      { idx: [0, 1], weight_decay: 0.01 },
      { idx: [2], amsgrad: true, maximize: true, betas: [0.8, 0.99] },
    ],
  },
  {
    name: 'AdamW amsgrad',
    kind: 'AdamW',
    defaults: { lr: 0.01, weight_decay: 0.05, amsgrad: true },
    groups: [{ idx: [0, 1, 2] }],
  },
  {
    name: 'AdamW default wd / no wd + eps',
    kind: 'AdamW',
    defaults: { lr: 0.003 },
    groups: [{ idx: [0] }, { idx: [1, 2], weight_decay: 0, eps: 1e-6 }],
  },
  {
    name: 'LARS momentum / lars_exclude group',
    kind: 'LARS',
    defaults: { lr: 0.3, momentum: 0.9, weight_decay: 1e-4 },
    groups: [{ idx: [0, 1] }, { idx: [2], lars_exclude: true }],
  },
  {
    name: 'LARS nesterov, eta 0.02',
    kind: 'LARS',
    defaults: { lr: 0.1, momentum: 0.9, nesterov: true, eta: 0.02, weight_decay: 1e-3 },
    groups: [{ idx: [0, 1, 2] }],
  },
  { name: 'LARS no momentum', kind: 'LARS', defaults: { lr: 0.5, weight_decay: 1e-2 }, groups: [{ idx: [0, 1, 2] }] },
  {
    name: 'LAMB clipped global norm / no-wd group (not adapted)',
    kind: 'LAMB',
    defaults: { lr: 0.01 },
    groups: [{ idx: [0, 1] }, { idx: [2], weight_decay: 0 }],
    scale: 3,
  },
  {
    name: 'LAMB no clipping, trust_clip, always_adapt, no averaging, no bias correction',
    kind: 'LAMB',
    defaults: {
      lr: 0.02,
      max_grad_norm: null,
      trust_clip: true,
      always_adapt: true,
      grad_averaging: false,
      bias_correction: false,
      weight_decay: 0.1,
    },
    groups: [{ idx: [0] }, { idx: [1, 2], weight_decay: 0 }],
  },
];

function build(kind: Kind, params: torch.Tensor[], c: Case): torch.optim.Optimizer {
  const groups = c.groups.map(({ idx, ...o }) => ({ ...o, params: idx.map((i) => params[i]) }));
  const d = camelize(c.defaults);
  switch (kind) {
    case 'SGD':
      return new optim.SGD(groups, d as { lr: number });
    case 'Adam':
      return new optim.Adam(groups, d);
    case 'AdamW':
      return new optim.AdamW(groups, d);
    case 'LARS':
      return new optim.LARS(groups, d as { lr: number });
    case 'LAMB':
      return new optim.LAMB(groups, d);
  }
}

function runOurs(c: Case, init: Nested[], grads: (Nested | null)[][]): unknown[] {
  return torch.tidy(() => {
    const params = makeParams(init);
    const opt = build(c.kind, params, c);
    for (const g of grads) {
      setGrads(params, g);
      opt.step();
    }
    const out = params.map((p) => p.detach().double().toList());
    opt.dispose();
    return out;
  });
}

test('SGD, Adam, AdamW, LARS and LAMB match PyTorch / the reference formulas step by step', (t) => {
  const init = initialWeights();
  const data = CASES.map((c) => ({ ...c, grads: gradSequence(STEPS, c.scale ?? 1) }));
  const ref = py<unknown[][]>(
    `${PY_REFERENCE_OPTIMIZERS}
OUT = []
for c in D['cases']:
    ps = [torch.tensor(w, dtype=torch.float32, requires_grad=True) for w in D['init']]
    groups = [dict({k: v for k, v in g.items() if k != 'idx'}, params=[ps[i] for i in g['idx']]) for g in c['groups']]
    opt = make_optimizer(c['kind'], groups, c['defaults'])
    for step in c['grads']:
        for p, g in zip(ps, step):
            p.grad = None if g is None else torch.tensor(g, dtype=torch.float32)
        opt.step()
    OUT.append([p.detach() for p in ps])`,
    { cases: data, init },
  );
  data.forEach((c, k) => {
    // float32 parameters: the same kernels give identical values; global-norm reductions may differ by an ulp.
    const tol = c.kind === 'LAMB' || c.kind === 'LARS' ? 2e-6 : 1e-6;
    const ours = runOurs(c, init, c.grads);
    const d = assertMaxDiff(ours, ref[k], tol, c.name);
    // The per-tensor fallback (for a libtorch without some _foreach_ overload) gives the same values.
    setForeachKernels(false);
    let loop: unknown[];
    try {
      loop = runOurs(c, init, c.grads);
    } finally {
      setForeachKernels(true);
    }
    const dl = assertMaxDiff(loop, ref[k], tol, `${c.name} (per-tensor fallback)`);
    t.diagnostic(
      `${c.name}: max |diff| vs PyTorch ${d.toExponential(2)} (per-tensor fallback ${dl.toExponential(2)}) after ${STEPS} steps`,
    );
  });
});

test('parameters without a gradient are skipped, and groups keep PyTorch names in their options', () => {
  torch.tidy(() => {
    const [a, b] = makeParams([[1, 2], [3]]);
    const opt = new optim.SGD([{ params: [a], weight_decay: 0.5, lr_mult: 2 }, { params: [b] }], { lr: 0.1 });
    assert.equal(opt.paramGroups[0].weightDecay, 0.5);
    assert.deepEqual(opt.paramGroups[0].extra, { lr_mult: 2 });
    a.grad = torch.tensor([1, 1], { dtype: 'float32' });
    opt.step();
    assert.deepEqual(b.toList(), [3]);
    // a ← a − 0.1·(g + 0.5·a) = [1 − 0.1·1.5, 2 − 0.1·2]
    assert.ok(Math.abs((a.toList() as number[])[0] - 0.85) < 1e-7);
    assert.ok(Math.abs((a.toList() as number[])[1] - 1.8) < 1e-7);
    assert.throws(() => new optim.SGD([a, a], { lr: 0.1 }), /more than one parameter group/);
    assert.throws(() => new optim.SGD([a], { lr: 0.1, nesterov: true }), /Nesterov/);
    a.grad = torch.tensor([1, 1], { dtype: 'float32' });
    opt.zeroGrad(false);
    assert.deepEqual(a.grad?.toList(), [0, 0]);
    opt.zeroGrad();
    assert.equal(a.grad, null);
    // A single tensor as a group's params, as PyTorch allows.
    const single = new optim.Adam([{ params: b, lr: 0.5 }]);
    assert.equal(single.paramGroups[0].params.length, 1);
    single.dispose();
    opt.dispose();
  });
});
