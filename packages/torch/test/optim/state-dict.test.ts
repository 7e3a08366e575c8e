/**
 * Optimizer state dicts: ours load into Python's torch.optim (SGD, Adam, AdamW) through
 * torch.save/torch.load and continue exactly as ours does; Python's load into ours; and a run
 * resumed from a saved state (optimizer and schedulers) continues bit-identically.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '../../src/index.js';
import { py } from '../helpers.js';
import { assertMaxDiff, gradSequence, initialWeights, makeParams, type Nested, setGrads } from './util.js';

const { optim } = torch;
const dir = mkdtempSync(join(tmpdir(), 'selfsup-optim-'));

type Kind = 'SGD' | 'Adam' | 'AdamW' | 'LARS' | 'LAMB';

function make(kind: Kind, params: torch.Tensor[]): torch.optim.Optimizer {
  const groups = [{ params: params.slice(0, 2) }, { params: params.slice(2), lr: 0.02, weight_decay: 0.001 }];
  switch (kind) {
    case 'SGD':
      return new optim.SGD(groups, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-2 });
    case 'Adam':
      return new optim.Adam(groups, { lr: 0.01, weightDecay: 1e-3, amsgrad: true });
    case 'AdamW':
      return new optim.AdamW(groups, { lr: 0.01, betas: [0.85, 0.99] });
    case 'LARS':
      return new optim.LARS(groups, { lr: 0.2, momentum: 0.9, weightDecay: 1e-4 });
    case 'LAMB':
      return new optim.LAMB(groups, { lr: 0.01 });
  }
}

function values(params: torch.Tensor[]): unknown[] {
  return torch.tidy(() => params.map((p) => p.detach().double().toList()));
}

test('Python’s torch.optim loads our SGD/Adam/AdamW state dicts and continues exactly as we do', (t) => {
  const grads = gradSequence(5);
  const cases: { kind: Kind; path: string; ours: unknown[] }[] = [];
  for (const kind of ['SGD', 'Adam', 'AdamW'] as const) {
    const path = join(dir, `${kind}.pth`);
    const params = makeParams(initialWeights());
    const opt = make(kind, params);
    for (const g of grads.slice(0, 3)) {
      setGrads(params, g);
      opt.step();
    }
    torch.tidy(() => torch.save({ params: params.map((p) => p.detach()), optim: opt.stateDict() }, path));
    for (const g of grads.slice(3)) {
      setGrads(params, g);
      opt.step();
    }
    cases.push({ kind, path, ours: values(params) });
    opt.dispose();
    for (const p of params) p.dispose();
  }
  const ref = py<{ out: unknown[][]; keys: string[][]; groups: Record<string, unknown>[][] }>(
    `OUT = {'out': [], 'keys': [], 'groups': []}
for c in D['cases']:
    d = torch.load(c['path'])
    ps = [p.clone().requires_grad_() for p in d['params']]
    groups = [{'params': ps[:2]}, {'params': ps[2:], 'lr': 0.5}]
    cls = getattr(torch.optim, c['kind'])
    opt = cls(groups, lr=0.5)
    opt.load_state_dict(d['optim'])
    for step in D['grads'][3:]:
        for p, g in zip(ps, step):
            p.grad = None if g is None else torch.tensor(g, dtype=torch.float32)
        opt.step()
    OUT['out'].append([p.detach() for p in ps])
    OUT['keys'].append(sorted(opt.state_dict()['state'][0].keys()))
    OUT['groups'].append([{k: v for k, v in g.items() if k != 'params'} for g in d['optim']['param_groups']])`,
    { cases: cases.map(({ kind, path }) => ({ kind, path })), grads },
  );
  cases.forEach((c, k) => {
    // Same kernels, same order: identical float32 values.
    const d = assertMaxDiff(c.ours, ref.out[k], 0, `${c.kind} resumed in Python`);
    t.diagnostic(`${c.kind}: Python resumed from our state dict, max |diff| ${d}`);
  });
  assert.deepEqual(ref.keys[0], ['momentum_buffer']);
  assert.deepEqual(ref.keys[1], ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
  assert.deepEqual(ref.keys[2], ['exp_avg', 'exp_avg_sq', 'step']);
  assert.equal(ref.groups[0][0].weight_decay, 0.01);
  assert.equal(ref.groups[0][0].nesterov, true);
  assert.deepEqual(ref.groups[2][0].betas, [0.85, 0.99]);
  assert.equal(ref.groups[2][1].lr, 0.02);
});

test('Python’s Adam state dict loads into ours and continues as Python does', (t) => {
  const path = join(dir, 'py_adam.pth');
  const grads = gradSequence(5);
  const ref = py<{ final: unknown[] }>(
    `ps = [torch.tensor(w, dtype=torch.float32, requires_grad=True) for w in D['init']]
opt = torch.optim.Adam([{'params': ps[:2]}, {'params': ps[2:], 'lr': 0.02, 'weight_decay': 0.001}], lr=0.01, weight_decay=1e-3, amsgrad=True)
def run(steps):
    for step in steps:
        for p, g in zip(ps, step):
            p.grad = None if g is None else torch.tensor(g, dtype=torch.float32)
        opt.step()
run(D['grads'][:3])
torch.save({'params': [p.detach().clone() for p in ps], 'optim': opt.state_dict()}, D['path'])
run(D['grads'][3:])
OUT = {'final': [p.detach() for p in ps]}`,
    { init: initialWeights(), grads, path },
  );
  const loaded = torch.load(path) as { params: torch.Tensor[]; optim: torch.StateDict };
  const params = loaded.params.map((p) => p.clone().requiresGrad_());
  const opt = make('Adam', params);
  opt.loadStateDict(loaded.optim);
  const st = opt.state.get(params[0]);
  assert.equal(st?.step, 3);
  for (const g of grads.slice(3)) {
    setGrads(params, g);
    opt.step();
  }
  const d = assertMaxDiff(values(params), ref.final, 0, 'Adam resumed from Python');
  t.diagnostic(`Adam resumed from Python's state dict: max |diff| ${d}`);
  opt.dispose();
});

test('a run resumed from a saved state (optimizer + schedulers) continues bit-identically', () => {
  const grads = gradSequence(8);
  for (const kind of ['SGD', 'AdamW', 'LARS', 'LAMB'] as const) {
    const setup = (params: torch.Tensor[]) => {
      const opt = make(kind, params);
      const sched = optim.buildParamSchedulers(opt, [
        { type: 'LinearLR', startFactor: 0.3, begin: 0, end: 3, byEpoch: false },
        { type: 'CosineAnnealingLR', begin: 3, end: 8, byEpoch: false, etaMin: 1e-4 },
      ]);
      return { opt, sched };
    };
    const run = (s: ReturnType<typeof setup>, params: torch.Tensor[], from: number, to: number) => {
      for (let k = from; k < to; k++) {
        setGrads(params, grads[k]);
        s.opt.step();
        s.sched.step();
      }
    };
    // Straight through.
    const pa = makeParams(initialWeights());
    const a = setup(pa);
    run(a, pa, 0, 8);
    // 4 steps, save to .pth, load into fresh objects, 4 more.
    const pb = makeParams(initialWeights());
    const b = setup(pb);
    run(b, pb, 0, 4);
    const path = join(dir, `resume-${kind}.pth`);
    torch.tidy(() =>
      torch.save({ params: pb.map((p) => p.detach()), optim: b.opt.stateDict(), sched: b.sched.stateDict() }, path),
    );
    const ck = torch.load(path) as { params: torch.Tensor[]; optim: torch.StateDict; sched: Record<string, never>[] };
    const pc = makeParams(ck.params.map((p) => p.toList() as Nested));
    const c = setup(pc);
    c.opt.loadStateDict(ck.optim);
    c.sched.loadStateDict(ck.sched);
    run(c, pc, 4, 8);
    pa.forEach((p, i) => {
      assert.ok(p.equal(pc[i]), `${kind}: parameter ${i} differs after resuming`);
    });
    assert.deepEqual(
      c.opt.paramGroups.map((g) => g.lr),
      a.opt.paramGroups.map((g) => g.lr),
    );
    for (const x of [a, b, c]) x.opt.dispose();
    for (const p of [...pa, ...pb, ...pc, ...ck.params]) p.dispose();
  }
});

test('loadStateDict rejects a state dict with other groups and leaves the optimizer intact', () => {
  torch.tidy(() => {
    const params = makeParams(initialWeights());
    const opt = make('SGD', params);
    setGrads(params, gradSequence(1)[0]);
    opt.step();
    const sd = opt.stateDict();
    const other = new optim.SGD(params, { lr: 0.1, momentum: 0.9 });
    assert.throws(() => other.loadStateDict(sd), /parameter groups/);
    const groups = sd.param_groups as Record<string, torch.StateValue>[];
    const bad = { ...sd, param_groups: [groups[0], { ...groups[1], params: [2, 3] }] };
    assert.throws(() => opt.loadStateDict(bad), /parameters/);
    assert.equal(opt.state.size, 3);
    opt.dispose();
    other.dispose();
  });
});
