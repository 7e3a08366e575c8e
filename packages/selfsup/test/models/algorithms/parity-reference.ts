/**
 * Reference-parity harness for the algorithm tests (`*-parity.test.ts`): a selfsup algorithm built
 * from a config is run once (`loss` + `backward`) in float64, and an independent PyTorch
 * re-statement of the published formulation (MMSelfSup 1.x / the paper) is run on the same weights
 * (the algorithm's state dict, saved as `.pth`), the same raw views and the same buffers. The
 * loss, the gradient of every trainable parameter and the whole state dict after the call (EMA
 * targets, queues, centres, BN statistics) are compared.
 *
 * Why float64: with float32 the two sides differ by summation-order rounding that a ResNet and BN
 * over 4 samples amplify to ~1e-5 relative, which would hide real discrepancies of that size. In
 * float64 both sides agree to ~1e-14 (mostly bit for bit: same libtorch kernels, one thread), so
 * the 1e-8 relative tolerance used here (stricter than float32 could give) leaves no room for a
 * formula difference. The images still go through the algorithm's real `preprocess` (uint8 → float32
 * (x − mean)/std); only its float32 output is then widened to float64, and Python does the same.
 *
 * `PY_COMMON` is Python source the tests prepend to their reference: a CIFAR-stem ResNet-18 and
 * MMSelfSup's NonLinearNeck with selfsup's (= torchvision's / MMSelfSup's) state-dict keys,
 * mmengine's EMA semantics, the preprocessing, and `finish()` which writes the results.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '@selfsup/torch';
import type { Algorithm, TrainProgress } from '../../../src/index.js';
import { py } from '../../helpers.js';

/** ResNet-18 at ⅛ width with the CIFAR stem (3×3 stride-1 conv, no max-pool): stages 8/16/32/64 channels. */
export const TINY_RESNET = { type: 'ResNet', depth: 18, widthMultiplier: 0.125, cifarStem: true } as const;
/** Channels of TINY_RESNET's last stage. */
export const TINY_FEATURES = 64;

/** Tolerance of every float64 comparison: |a − b| ≤ TOL·(1 + |b|). */
export const TOL = 1e-8;

/** Seeded uint8 views `(n, 3, s, s)`, one per entry of `sizes`. */
export function seededViews(sizes: number[], n = 4, seed = 0): torch.Tensor[] {
  const g = new torch.Generator().manualSeed(seed);
  return torch.keep(sizes.map((s) => torch.randint(0, 256, [n, 3, s, s], { generator: g }).to({ dtype: 'uint8' })));
}

/**
 * Casts the algorithm to float64. `preprocess` (uint8 → float32) is kept and its output widened,
 * so the real normalisation runs; the Python side widens the same float32 values.
 */
export function toFloat64<A extends Algorithm>(algo: A): A {
  algo.to('float64');
  const pre = algo.preprocess.bind(algo);
  algo.preprocess = (x: torch.Tensor) => torch.tidy(() => pre(x).double());
  return algo;
}

/**
 * Adds seeded Gaussian noise of scale `scale` to every parameter of `module` (so BN γ/β are not
 * 1/0 and an EMA target differs from its online network).
 */
export function perturb(
  module: torch.nn.AnyModule,
  scale: number,
  seed: number,
  skip: (name: string) => boolean = () => false,
): void {
  const g = new torch.Generator().manualSeed(seed);
  torch.tidy(() =>
    torch.noGrad(() => {
      for (const [name, p] of module.namedParameters()) {
        if (skip(name)) continue;
        p.add_(torch.randn(p.shape, { generator: g, dtype: 'float64' }).mul(scale).to({ dtype: p.dtype }));
      }
    }),
  );
}

/** Python prelude shared by the references (runs after `@selfsup/torch/testing`'s own prelude). */
export const PY_COMMON = `
import copy
import torch.nn as nn
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(y + shortcut)

class TinyResNet(nn.Module):
    """ResNet-18 (2-2-2-2 basic blocks), CIFAR stem, stage widths 64·2^i·width; returns [last map]."""
    def __init__(self, width=0.125):
        super().__init__()
        widths = [int(64 * 2 ** i * width) for i in range(4)]
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for i, (w, s) in enumerate(zip(widths, (1, 2, 2, 2))):
            setattr(self, f'layer{i + 1}', nn.Sequential(BasicBlock(cin, w, s), BasicBlock(w, w, 1)))
            cin = w

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for i in range(4):
            x = getattr(self, f'layer{i + 1}')(x)
        return [x]

class NonLinearNeck(nn.Module):
    """MMSelfSup's NonLinearNeck: fc0-bn0-[relu-fc_i-bn_i]; the last fc/bn with their own switches."""
    def __init__(self, cin, hid, out, num_layers=2, with_bias=False, with_last_bn=True,
                 with_last_bn_affine=True, with_last_bias=False, with_avg_pool=True):
        super().__init__()
        self.with_avg_pool = with_avg_pool
        self.fc0 = nn.Linear(cin, hid, bias=with_bias)
        self.bn0 = nn.BatchNorm1d(hid)
        self.pairs = [('fc0', 'bn0')]
        for i in range(1, num_layers):
            last = i == num_layers - 1
            setattr(self, f'fc{i}', nn.Linear(hid, out if last else hid, bias=with_last_bias if last else with_bias))
            if not last:
                setattr(self, f'bn{i}', nn.BatchNorm1d(hid))
            elif with_last_bn:
                setattr(self, f'bn{i}', nn.BatchNorm1d(out, affine=with_last_bn_affine))
            self.pairs.append((f'fc{i}', f'bn{i}' if (not last or with_last_bn) else None))

    def forward(self, x):
        x = x[0]
        if self.with_avg_pool:
            x = F.adaptive_avg_pool2d(x, 1)
        x = x.flatten(1)
        for i, (fc, bn) in enumerate(self.pairs):
            if i > 0:
                x = F.relu(x)
            x = getattr(self, fc)(x)
            if bn is not None:
                x = getattr(self, bn)(x)
        return [x]

class EMA(nn.Module):
    """mmengine's ExponentialMovingAverage layout (module, steps) with MMSelfSup's CosineEMA rule:
    step 0 copies the source; later steps p ← m·p + (1 − m)·p_src with m = momentum_at(steps);
    buffers are copied from the source (update_buffers=False)."""
    def __init__(self, module, momentum_at):
        super().__init__()
        self.module = module
        self.momentum_at = momentum_at
        self.register_buffer('steps', torch.tensor(0, dtype=torch.long))
        for p in self.module.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update_parameters(self, source):
        src = dict(source.named_parameters())
        steps = int(self.steps)
        m = None if steps == 0 else self.momentum_at(steps)
        for name, p in self.module.named_parameters():
            if m is None:
                p.copy_(src[name])
            else:
                p.mul_(m).add_(src[name], alpha=1 - m)
        for b, b_src in zip(self.module.buffers(), source.buffers()):
            b.copy_(b_src)
        self.steps += 1
        return m

    def forward(self, x):
        return self.module(x)

def cosine_momentum(base, k, total):
    """MMSelfSup's CosineEMA (end momentum 1): 1 − (1 − m0)(cos(πk/K) + 1)/2."""
    return 1 - (1 - base) * (math.cos(math.pi * k / total) + 1) / 2

_MEAN = torch.tensor(D['mean'], dtype=torch.float32).view(1, -1, 1, 1)
_STD = torch.tensor(D['std'], dtype=torch.float32).view(1, -1, 1, 1)
def preprocess(v):
    """SelfSupDataPreprocessor: (x − mean)/std in float32 (as the algorithm computes it), widened."""
    return ((v.float() - _MEAN) / _STD).double()

_BATCH = torch.load(D['views'])
VIEWS = [preprocess(v) for v in _BATCH['views']]
# The pipeline's (N, h, w) bool patch masks (masked image modelling), when the test gives them.
MASKS = _BATCH.get('masks', [])
# The (N) dataset indices (memory banks), when the test gives them.
IDX = _BATCH.get('idx')
PROGRESS = D['progress']

def build(model):
    """Loads selfsup's state dict into the reference model (strict: same keys) in training mode."""
    model.load_state_dict(torch.load(D['state']), strict=True)
    return model.train()

class Sobel(nn.Module):
    """DeepCluster's fixed input layer (grey 1x1 conv of 1/3, then the two 3x3 Sobel kernels), rebuilt from the paper."""
    def __init__(self):
        super().__init__()
        g = nn.Conv2d(3, 1, 1)
        g.weight.data.fill_(1.0 / 3.0)
        g.bias.data.zero_()
        s = nn.Conv2d(1, 2, 3, padding=1)
        s.weight.data[0, 0].copy_(torch.tensor([[1, 0, -1], [2, 0, -2], [1, 0, -1]]))
        s.weight.data[1, 0].copy_(torch.tensor([[1, 2, 1], [0, 0, 0], [-1, -2, -1]]))
        s.bias.data.zero_()
        self.sobel = nn.Sequential(g, s)
        for p in self.sobel.parameters():
            p.requires_grad = False

    def forward(self, x):
        return self.sobel(x)

def finish(model, loss, extra=None):
    """Backward, then writes loss, gradients of trainable parameters and the state dict after the call."""
    loss.backward()
    grads = {k: p.grad for k, p in model.named_parameters() if p.requires_grad and p.grad is not None}
    trainable = [k for k, p in model.named_parameters() if p.requires_grad]
    torch.save({'grads': grads, 'after': model.state_dict()}, D['out'])
    out = {'loss': loss.item(), 'trainable': trainable}
    out.update(extra or {})
    return out
`;

/** What the Python reference returns as JSON (besides the tensors it saves). */
export interface PyResult {
  loss: number;
  /** Trainable parameter names of the reference model. */
  trainable: string[];
  /** The loss with one hyper-parameter perturbed (shows the comparison can fail). */
  perturbed: number;
  [k: string]: unknown;
}

export interface ParityResult<R extends PyResult> {
  /** selfsup's loss. */
  loss: number;
  logs: Record<string, number>;
  ref: R;
  /** Max |diff| per compared group, filled in by the checks (`gradsRel`: max |diff|/(1 + |ref|)). */
  diffs: { loss: number; grads: number; state: number; gradsRel: number };
  /** Gradients of selfsup's trainable parameters (by name). */
  grads: Record<string, torch.Tensor>;
  refGrads: Record<string, torch.Tensor>;
  /** The state dicts after the call. */
  after: Record<string, torch.Tensor>;
  refAfter: Record<string, torch.Tensor>;
  trainable: string[];
}

/** Max |a − b| of two same-shape tensors and max |a − b| / (1 + |b|). */
export function tensorDiff(a: torch.Tensor, b: torch.Tensor, what: string): { abs: number; rel: number } {
  assert.deepEqual(a.shape, b.shape, `${what}: shape [${a.shape}] vs reference [${b.shape}]`);
  return torch.tidy(() =>
    torch.noGrad(() => {
      if (a.numel() === 0) return { abs: 0, rel: 0 };
      const x = a.detach().double();
      const y = b.detach().double();
      const d = x.sub(y).abs();
      return { abs: d.max().item(), rel: d.div(y.abs().add(1)).max().item() };
    }),
  );
}

/**
 * Runs the reference (`python`, after PY_COMMON; it must set `OUT = finish(model, loss, {...})`)
 * on the algorithm's current state and `views` (and `masks`, Python's `MASKS`; `idx`, `IDX`), then selfsup's
 * `loss(…, progress)` and backward, and returns both sides' numbers. One Python process per call.
 */
export function runParity<R extends PyResult>(
  algo: Algorithm,
  views: torch.Tensor[],
  progress: TrainProgress,
  python: string,
  data: Record<string, unknown> = {},
  masks: torch.Tensor[] = [],
  /** `(N)` dataset indices for memory-bank algorithms (Python's `IDX`). */
  idx?: torch.Tensor,
): ParityResult<R> {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-parity-'));
  // One thread on both sides (py() copies this process's count): the tensors are tiny, so threads
  // only add OpenMP overhead (CPU time halves on a busy 2-core machine).
  const threads = torch.getNumThreads();
  torch.setNumThreads(1);
  try {
    const paths = { state: join(dir, 'state.pth'), views: join(dir, 'views.pth'), out: join(dir, 'out.pth') };
    torch.save(algo.stateDict(), paths.state);
    torch.save({ views, ...(masks.length > 0 && { masks }), ...(idx && { idx }) }, paths.views);
    const ref = py<R>(`${PY_COMMON}\n${python}`, {
      ...paths,
      progress,
      mean: algo.normalization.mean,
      std: algo.normalization.std,
      ...data,
    });
    algo.train();
    algo.zeroGrad();
    const { loss, logs } = torch.tidy(() => {
      const out = algo.loss({ views, ...(masks.length > 0 && { masks }), ...(idx && { idx }) }, progress);
      out.loss.backward();
      return { loss: out.loss.item(), logs: out.logs };
    });
    const named = [...algo.namedParameters()].filter(([, p]) => p.requiresGrad);
    const grads: Record<string, torch.Tensor> = {};
    for (const [k, p] of named) if (p.grad) grads[k] = torch.keep(p.grad.detach().clone());
    const after = torch.keep(Object.fromEntries(Object.entries(algo.stateDict()).map(([k, t]) => [k, t.detach().clone()])));
    const saved = torch.load(paths.out) as { grads: Record<string, torch.Tensor>; after: Record<string, torch.Tensor> };
    return {
      loss,
      logs,
      ref,
      diffs: { loss: Math.abs(loss - ref.loss), grads: 0, gradsRel: 0, state: 0 },
      grads,
      refGrads: saved.grads,
      after,
      refAfter: saved.after,
      trainable: named.map(([k]) => k),
    };
  } finally {
    torch.setNumThreads(threads);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Asserts selfsup's loss equals the reference's and that the perturbed reference does not. */
export function checkLoss(r: ParityResult<PyResult>, tol = TOL): void {
  assert.ok(Number.isFinite(r.loss), `loss ${r.loss}`);
  const d = Math.abs(r.loss - r.ref.loss);
  r.diffs.loss = d;
  assert.ok(d <= tol * (1 + Math.abs(r.ref.loss)), `loss ${r.loss} vs reference ${r.ref.loss} (|diff| ${d.toExponential(2)})`);
  const miss = Math.abs(r.loss - r.ref.perturbed);
  assert.ok(miss > 1e3 * tol * (1 + Math.abs(r.ref.loss)), `the perturbed reference (${r.ref.perturbed}) should not match`);
}

/** Asserts the same trainable parameters, each with a gradient equal to the reference's. */
export function checkGrads(r: ParityResult<PyResult>, tol = TOL): void {
  assert.deepEqual([...r.trainable].sort(), [...r.ref.trainable].sort(), 'trainable parameters');
  assert.deepEqual(Object.keys(r.grads).sort(), Object.keys(r.refGrads).sort(), 'parameters with a gradient');
  assert.ok(Object.keys(r.grads).length > 0, 'some gradients');
  for (const [k, g] of Object.entries(r.grads)) {
    const { abs, rel } = tensorDiff(g, r.refGrads[k], `grad ${k}`);
    r.diffs.grads = Math.max(r.diffs.grads, abs);
    r.diffs.gradsRel = Math.max(r.diffs.gradsRel, rel);
    assert.ok(rel <= tol, `grad of ${k}: max |diff| ${abs.toExponential(2)} (relative ${rel.toExponential(2)}) > ${tol}`);
  }
}

/**
 * Asserts the state dicts after the call agree (keys and values; `only` restricts the keys by
 * prefix). Returns the max |diff|.
 */
export function checkState(r: ParityResult<PyResult>, only?: (key: string) => boolean, tol = TOL): number {
  const keys = Object.keys(r.after).filter((k) => !only || only(k));
  const refKeys = Object.keys(r.refAfter).filter((k) => !only || only(k));
  assert.deepEqual([...keys].sort(), [...refKeys].sort(), 'state-dict keys after the call');
  assert.ok(keys.length > 0, 'some state compared');
  let max = 0;
  for (const k of keys) {
    const { abs, rel } = tensorDiff(r.after[k], r.refAfter[k], k);
    max = Math.max(max, abs);
    assert.ok(rel <= tol, `${k} after the call: max |diff| ${abs.toExponential(2)} (relative ${rel.toExponential(2)}) > ${tol}`);
  }
  r.diffs.state = Math.max(r.diffs.state, max);
  return max;
}

/** One line for the test's diagnostics. */
export function summary(r: ParityResult<PyResult>): string {
  const e = (x: number) => x.toExponential(2);
  return `max |diff|: loss ${e(r.diffs.loss)}, grads ${e(r.diffs.grads)} (relative ${e(r.diffs.gradsRel)}), state after ${e(r.diffs.state)}`;
}
