/** Shared helpers of the optim tests: deterministic data, Python reference classes, comparisons. */
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { pseudo } from '../helpers.js';

export type Nested = number | Nested[];

/** Largest |a − b| over two nested arrays of the same shape. */
export function maxAbsDiff(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, 'shape mismatch');
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, maxAbsDiff(a[i], b[i]));
    return m;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return 0;
    return a === b ? 0 : Math.abs(a - b);
  }
  if (a === null && b === null) return 0;
  throw new TypeError(`cannot compare ${JSON.stringify(a)} with ${JSON.stringify(b)}`);
}

/** Asserts `maxAbsDiff(actual, expected) <= tol` and returns the difference (for reporting). */
export function assertMaxDiff(actual: unknown, expected: unknown, tol: number, what: string): number {
  const d = maxAbsDiff(actual, expected);
  assert.ok(d <= tol, `${what}: max |diff| ${d.toExponential(3)} > ${tol}`);
  return d;
}

/** Shapes of the toy parameter set used by the optimizer tests. */
export const SHAPES = [[4, 3], [3], [2, 2, 3]];

/** Initial weights: pseudo-random, except the 1-D one which starts at 0 (exercises ‖θ‖ = 0 branches). */
export function initialWeights(): Nested[] {
  return SHAPES.map((s, i) => (i === 1 ? new Array<number>(s[0]).fill(0) : (pseudo(s, 11 + i) as Nested)));
}

/** Gradients per step (null: the parameter has no gradient at that step). */
export function gradSequence(steps: number, scale = 1): (Nested | null)[][] {
  return Array.from({ length: steps }, (_, k) =>
    SHAPES.map((s, i) => {
      if (k === 2 && i === 1) return null;
      const g = pseudo(s, 100 + 10 * k + i) as Nested;
      return scale === 1 ? g : mapNested(g, (v) => v * scale);
    }),
  );
}

export function mapNested(x: Nested, f: (v: number) => number): Nested {
  return Array.isArray(x) ? x.map((e) => mapNested(e, f)) : f(x);
}

/** Creates float32 leaf parameters from nested values. */
export function makeParams(init: Nested[]): torch.Tensor[] {
  return init.map((w) => torch.tensor(w as number[], { dtype: 'float32' }).requiresGrad_());
}

/** Sets each parameter's `.grad` (null clears it). */
export function setGrads(params: torch.Tensor[], grads: (Nested | null)[]): void {
  torch.tidy(() => {
    params.forEach((p, i) => {
      const g = grads[i];
      p.grad = g === null ? null : torch.tensor(g as number[], { dtype: 'float32' });
    });
  });
}

/** `{ weight_decay: 1 }` → `{ weightDecay: 1 }` (options given in PyTorch's names). */
export function camelize<T extends Record<string, unknown>>(o: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

/**
 * Python reference optimizers not in torch 1.13: MMSelfSup's LARS (with `lars_exclude` also
 * disabling weight decay, as selfsup documents) and timm's Lamb (its classic formula; `p.grad` is
 * divided out of place).
 */
export const PY_REFERENCE_OPTIMIZERS = `
class RefLARS(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum=0, weight_decay=0, dampening=0, eta=0.001, nesterov=False, eps=1e-8, lars_exclude=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, dampening=dampening,
                                      eta=eta, nesterov=nesterov, eps=eps, lars_exclude=lars_exclude))
    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            excl = group['lars_exclude']
            wd = 0 if excl else group['weight_decay']
            for p in group['params']:
                if p.grad is None:
                    continue
                d_p = p.grad
                if excl:
                    local_lr = 1.
                else:
                    wn = torch.norm(p).item()
                    gn = torch.norm(d_p).item()
                    local_lr = group['eta'] * wn / (gn + wd * wn + group['eps']) if wn != 0 and gn != 0 else 1.
                actual_lr = local_lr * group['lr']
                d_p = d_p.add(p, alpha=wd).mul(actual_lr)
                if group['momentum'] != 0:
                    st = self.state[p]
                    if 'momentum_buffer' not in st:
                        buf = st['momentum_buffer'] = torch.clone(d_p).detach()
                    else:
                        buf = st['momentum_buffer']
                        buf.mul_(group['momentum']).add_(d_p, alpha=1 - group['dampening'])
                    d_p = d_p.add(buf, alpha=group['momentum']) if group['nesterov'] else buf
                p.add_(-d_p)

class RefLamb(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, bias_correction=True, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01,
                 grad_averaging=True, max_grad_norm=1.0, trust_clip=False, always_adapt=False):
        super().__init__(params, dict(lr=lr, bias_correction=bias_correction, betas=betas, eps=eps, weight_decay=weight_decay,
                                      grad_averaging=grad_averaging, max_grad_norm=max_grad_norm, trust_clip=trust_clip,
                                      always_adapt=always_adapt))
    @torch.no_grad()
    def step(self):
        one = torch.tensor(1.0)
        ggn = torch.zeros(1)
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is not None:
                    ggn.add_(p.grad.pow(2).sum())
        ggn = torch.sqrt(ggn)
        mgn = self.defaults['max_grad_norm']
        clip = None if mgn is None else torch.where(ggn > mgn, ggn / mgn, one)
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            beta3 = 1 - beta1 if group['grad_averaging'] else 1.0
            group['step'] = group.get('step', 0) + 1
            if group['bias_correction']:
                bc1 = 1 - beta1 ** group['step']
                bc2 = 1 - beta2 ** group['step']
            else:
                bc1, bc2 = 1.0, 1.0
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad if clip is None else p.grad.div(clip)
                st = self.state[p]
                if len(st) == 0:
                    st['exp_avg'] = torch.zeros_like(p)
                    st['exp_avg_sq'] = torch.zeros_like(p)
                m, v = st['exp_avg'], st['exp_avg_sq']
                m.mul_(beta1).add_(grad, alpha=beta3)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = (v.sqrt() / math.sqrt(bc2)).add_(group['eps'])
                update = (m / bc1).div_(denom)
                wd = group['weight_decay']
                if wd != 0:
                    update.add_(p, alpha=wd)
                if wd != 0 or group['always_adapt']:
                    w_norm = p.norm(2.0)
                    g_norm = update.norm(2.0)
                    trust = torch.where(w_norm > 0, torch.where(g_norm > 0, w_norm / g_norm, one), one)
                    if group['trust_clip']:
                        trust = torch.minimum(trust, one)
                    update.mul_(trust)
                p.add_(update, alpha=-group['lr'])

def make_optimizer(kind, groups, defaults):
    cls = {'SGD': torch.optim.SGD, 'Adam': torch.optim.Adam, 'AdamW': torch.optim.AdamW, 'LARS': RefLARS, 'LAMB': RefLamb}[kind]
    return cls(groups, **defaults)
`;
