import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '../../src/index.js';
import { assertClose, py } from '../helpers.js';

const { nn } = torch;
const dir = mkdtempSync(join(tmpdir(), 'selfsup-nn-'));

/**
 * Builds `modules` (a Python dict expression of torch.nn modules) with random weights in Python,
 * runs `calls` on fixed inputs and returns the outputs plus the state dicts saved as .pth.
 */
function reference(build: string, calls: string): { path: string; out: Record<string, unknown> } {
  const path = join(dir, `ref-${Math.random().toString(36).slice(2)}.pth`);
  const out = py<Record<string, unknown>>(
    `import torch.nn as nn
torch.manual_seed(0)
${build}
torch.save({'sd': {k: m.state_dict() for k, m in M.items()}, 'x': X}, D['path'])
${calls}`,
    { path },
  );
  return { path, out };
}

test('layers match torch.nn with the same weights and inputs, state-dict keys included', () => {
  const { path, out } = reference(
    `M = {
  'lin': nn.Linear(5, 3), 'lin_nb': nn.Linear(5, 2, bias=False),
  'conv': nn.Conv2d(3, 4, 3, stride=2, padding=1), 'conv_reflect': nn.Conv2d(3, 2, 3, padding=1, padding_mode='reflect', bias=False),
  'convT': nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
  'ln': nn.LayerNorm(5), 'gn': nn.GroupNorm(2, 4), 'emb': nn.Embedding(6, 4, padding_idx=1),
  'mha': nn.MultiheadAttention(8, 2), 'mha_bf': nn.MultiheadAttention(8, 4, batch_first=True),
}
for m in M.values():
    for p in m.parameters(): p.data.uniform_(-0.5, 0.5)
X = {'v': torch.randn(4, 5), 'img': torch.randn(2, 3, 7, 7), 'seq': torch.randn(3, 2, 8), 'idx': torch.tensor([[0, 1], [5, 2]]),
     'mask': torch.tensor([[False, False, True], [False, False, False]]), 'amask': torch.tensor([[False, True, False], [False, False, False], [True, False, False]])}`,
    `with torch.no_grad():
    a1, w1 = M['mha'](X['seq'], X['seq'], X['seq'], key_padding_mask=X['mask'])
    a2, w2 = M['mha_bf'](X['seq'].transpose(0, 1), X['seq'].transpose(0, 1), X['seq'].transpose(0, 1), attn_mask=X['amask'], average_attn_weights=False)
    OUT = {'lin': M['lin'](X['v']), 'lin_nb': M['lin_nb'](X['v']), 'conv': M['conv'](X['img']), 'conv_reflect': M['conv_reflect'](X['img']),
           'convT': M['convT'](X['img']), 'ln': M['ln'](X['v']), 'gn': M['gn'](M['conv'](X['img'])), 'emb': M['emb'](X['idx']),
           'mha': a1, 'mha_w': w1, 'mha_bf': a2, 'mha_bf_w': w2,
           'keys': {k: list(m.state_dict().keys()) for k, m in M.items()}}`,
  );
  torch.tidy(() => {
    const saved = torch.load(path) as { sd: Record<string, Record<string, torch.Tensor>>; x: Record<string, torch.Tensor> };
    const x = saved.x;
    const mods = {
      lin: new nn.Linear(5, 3),
      lin_nb: new nn.Linear(5, 2, { bias: false }),
      conv: new nn.Conv2d(3, 4, 3, { stride: 2, padding: 1 }),
      conv_reflect: new nn.Conv2d(3, 2, 3, { padding: 1, paddingMode: 'reflect', bias: false }),
      convT: new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
      ln: new nn.LayerNorm(5),
      gn: new nn.GroupNorm(2, 4),
      emb: new nn.Embedding(6, 4, { paddingIdx: 1 }),
      mha: new nn.MultiheadAttention(8, 2),
      mha_bf: new nn.MultiheadAttention(8, 4, { batchFirst: true }),
    };
    const keys = out.keys as Record<string, string[]>;
    for (const [k, m] of Object.entries(mods)) {
      assert.deepEqual(Object.keys(m.stateDict()), keys[k], `${k} state-dict keys`);
      m.loadStateDict(saved.sd[k]);
    }
    const c = (t: torch.Tensor, k: string) => assertClose(t, out[k] as number[], 1e-5, k);
    torch.noGrad(() => {
      c(mods.lin.forward(x.v), 'lin');
      c(mods.lin_nb.forward(x.v), 'lin_nb');
      c(mods.conv.forward(x.img), 'conv');
      c(mods.conv_reflect.forward(x.img), 'conv_reflect');
      c(mods.convT.forward(x.img), 'convT');
      c(mods.ln.forward(x.v), 'ln');
      c(mods.gn.forward(mods.conv.forward(x.img)), 'gn');
      c(mods.emb.forward(x.idx), 'emb');
      const [a1, w1] = mods.mha.forward(x.seq, x.seq, x.seq, { keyPaddingMask: x.mask });
      c(a1, 'mha');
      c(w1 as torch.Tensor, 'mha_w');
      const s = x.seq.transpose(0, 1);
      const [a2, w2] = mods.mha_bf.forward(s, s, s, { attnMask: x.amask, averageAttnWeights: false });
      c(a2, 'mha_bf');
      c(w2 as torch.Tensor, 'mha_bf_w');
    });
    for (const m of Object.values(mods)) m.dispose();
  });
});

test('BatchNorm: running statistics over training steps, cumulative momentum, eval and no tracking', () => {
  const { path, out } = reference(
    `M = {'bn': nn.BatchNorm2d(3), 'bn_cum': nn.BatchNorm1d(4, momentum=None), 'bn_nt': nn.BatchNorm2d(3, track_running_stats=False, affine=False)}
X = {'a': torch.randn(4, 3, 5, 5) * 2 + 1, 'b': torch.randn(4, 3, 5, 5), 'v': torch.randn(6, 4), 'w': torch.randn(6, 4) + 3}`,
    `M['bn'](X['a']); M['bn'](X['b']); M['bn_cum'](X['v']); M['bn_cum'](X['w'])
M['bn'].eval(); M['bn_nt'].eval()
with torch.no_grad():
    OUT = {'rm': M['bn'].running_mean, 'rv': M['bn'].running_var, 'nbt': M['bn'].num_batches_tracked, 'eval': M['bn'](X['a']),
           'cum_rm': M['bn_cum'].running_mean, 'cum_rv': M['bn_cum'].running_var, 'nt': M['bn_nt'](X['a']), 'nt_keys': list(M['bn_nt'].state_dict().keys())}`,
  );
  torch.tidy(() => {
    const saved = torch.load(path) as { sd: Record<string, Record<string, torch.Tensor>>; x: Record<string, torch.Tensor> };
    const bn = new nn.BatchNorm2d(3);
    const cum = new nn.BatchNorm1d(4, { momentum: null });
    const nt = new nn.BatchNorm2d(3, { trackRunningStats: false, affine: false });
    bn.loadStateDict(saved.sd.bn);
    cum.loadStateDict(saved.sd.bn_cum);
    assert.deepEqual(Object.keys(nt.stateDict()), out.nt_keys);
    torch.noGrad(() => {
      bn.forward(saved.x.a);
      bn.forward(saved.x.b);
      cum.forward(saved.x.v);
      cum.forward(saved.x.w);
      assertClose(bn.runningMean as torch.Tensor, out.rm as number[], 1e-5, 'running_mean');
      assertClose(bn.runningVar as torch.Tensor, out.rv as number[], 1e-5, 'running_var (unbiased)');
      assert.equal((bn.numBatchesTracked as torch.Tensor).item(), out.nbt);
      assertClose(cum.runningMean as torch.Tensor, out.cum_rm as number[], 1e-5, 'cumulative mean');
      assertClose(cum.runningVar as torch.Tensor, out.cum_rv as number[], 1e-5, 'cumulative var');
      bn.eval();
      nt.eval();
      assertClose(bn.forward(saved.x.a), out.eval as number[], 1e-5, 'eval uses running stats');
      assertClose(nt.forward(saved.x.a), out.nt as number[], 1e-5, 'untracked BN uses batch stats in eval');
    });
    assert.throws(() => bn.forward(torch.ones([2, 3])), /BatchNorm2d: expected 4D input, got 2D/);
  });
});

test('module tree: keys in PyTorch order, repr, train/eval, to() in place, zeroGrad, loadStateDict reports', () => {
  const ref = py<{ keys: string[]; repr: string; n: number }>(`import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.heads = nn.ModuleList([nn.Linear(8, 2), nn.Linear(8, 3)])
        self.extra = nn.ModuleDict({'proj': nn.Linear(8, 4), 'norm': nn.LayerNorm(4)})
        self.register_buffer('scale', torch.ones(1))
n = Net()
OUT = {'keys': list(n.state_dict().keys()), 'repr': repr(n.features), 'n': sum(p.numel() for p in n.parameters())}`);
  torch.tidy(() => {
    class Net extends nn.Module<[torch.Tensor], torch.Tensor[]> {
      readonly scale = this.registerBuffer('scale', torch.ones([1]));
      readonly features = this.registerModule(
        'features',
        new nn.Sequential(
          new nn.Conv2d(3, 8, 3, { padding: 1, bias: false }),
          new nn.BatchNorm2d(8),
          new nn.ReLU(),
          new nn.AdaptiveAvgPool2d(1),
          new nn.Flatten(),
        ),
      );
      readonly heads = this.registerModule('heads', new nn.ModuleList([new nn.Linear(8, 2), new nn.Linear(8, 3)]));
      readonly extra = this.registerModule('extra', new nn.ModuleDict({ proj: new nn.Linear(8, 4), norm: new nn.LayerNorm(4) }));
      forward(x: torch.Tensor): torch.Tensor[] {
        const f = this.features.forward(x);
        return [...this.heads].map((h) => h.forward(f));
      }
    }
    const net = new Net();
    // PyTorch orders a module's own parameters and buffers before its children's; our buffer is
    // registered first here, so compare as PyTorch would list it.
    const keys = Object.keys(net.stateDict());
    assert.deepEqual([...keys.filter((k) => k !== 'scale'), 'scale'].sort(), [...ref.keys].sort());
    assert.deepEqual(
      keys.filter((k) => k !== 'scale'),
      ref.keys.filter((k) => k !== 'scale'),
    );
    assert.equal(net.features.toString(), ref.repr);
    assert.equal(net.numParameters(), ref.n);
    net.eval();
    assert.ok([...net.modules()].every((m) => !m.training));
    net.train();
    const w = net.heads.at(0).weight;
    net.to('float64');
    assert.equal(net.heads.at(0).weight, w, 'same tensor object after to()');
    assert.equal(w.dtype, 'float64');
    assert.equal(w.requiresGrad, true);
    assert.equal(
      (net.features.at(1) as torch.nn.BatchNorm2d).numBatchesTracked?.dtype,
      'int64',
      'integer buffers keep their dtype',
    );
    const [y] = net.forward(torch.randn([2, 3, 4, 4], { dtype: 'float64' }));
    y.sum().backward();
    assert.ok(w.grad !== null);
    net.zeroGrad();
    assert.equal(w.grad, null);
    const sd = { ...net.stateDict() };
    delete sd['heads.1.bias'];
    const res = net.loadStateDict({ ...sd, 'bogus.weight': torch.ones([1]) }, { strict: false });
    assert.deepEqual(res.missingKeys, ['heads.1.bias']);
    assert.deepEqual(res.unexpectedKeys, ['bogus.weight']);
    assert.throws(() => net.loadStateDict(sd), /missing keys: heads\.1\.bias/);
    assert.throws(
      () => net.loadStateDict({ ...net.stateDict(), 'heads.0.weight': torch.ones([3, 8]) }, { strict: false }),
      /size mismatch:\n {2}heads\.0\.weight: expected \[2,8\] \(model\), got \[3,8\] \(state dict\)/,
    );
    net.requiresGrad_(false);
    assert.equal(net.numParameters({ trainableOnly: true }), 0);
  });
});

test('a model built inside tidy keeps its parameters; dispose frees them', () => {
  const before = torch.memory().liveTensors;
  const m = torch.tidy(() => new nn.Linear(3, 2));
  assert.equal(m.weight.isDisposed, false);
  assert.equal(torch.memory().liveTensors - before, 2);
  m.dispose();
  assert.equal(torch.memory().liveTensors, before);
});

test('Dropout and DropPath: identity in eval, expected statistics in training', () => {
  torch.tidy(() => {
    torch.manualSeed(2);
    const x = torch.ones([4000, 3, 2]);
    const dp = new nn.DropPath(0.3);
    const y = dp.forward(x);
    const perSample = y.index(':', 0, 0);
    const kept = perSample.ne(0).float().mean().item();
    assert.ok(Math.abs(kept - 0.7) < 0.03, `kept fraction ${kept}`);
    assertClose(perSample.max(), 1 / 0.7, 1e-6);
    assert.ok(
      y
        .eq(y.index(':', 0, 0).view(-1, 1, 1))
        .all()
        .item() === 1,
      'one decision per sample',
    );
    dp.eval();
    assert.equal(dp.forward(x), x);
    const d = new nn.Dropout(0.5).eval();
    assert.equal(d.forward(x), x);
  });
});

test('init: gains and fans as PyTorch, distributions within bounds and with the right spread', () => {
  const ref = py<{ gains: number[] }>(`import torch.nn.init as I
OUT = {'gains': [I.calculate_gain(n, p) for n, p in [('relu', None), ('tanh', None), ('leaky_relu', 0.2), ('selu', None), ('linear', None)]]}`);
  assertClose(
    [
      nn.init.calculateGain('relu'),
      nn.init.calculateGain('tanh'),
      nn.init.calculateGain('leaky_relu', 0.2),
      nn.init.calculateGain('selu'),
      nn.init.calculateGain('linear'),
    ],
    ref.gains,
    1e-12,
  );
  torch.tidy(() => {
    torch.manualSeed(0);
    const w = torch.empty([256, 128, 3, 3]);
    nn.init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    assertClose(w.std(), Math.sqrt(2 / (256 * 9)), 0.01, 'kaiming normal std');
    nn.init.kaimingUniform_(w, { a: Math.sqrt(5) });
    const bound = 1 / Math.sqrt(128 * 9);
    assert.ok(w.abs().max().item() <= bound + 1e-7);
    assertClose(w.std(), bound / Math.sqrt(3), 0.01, 'uniform std = bound/√3');
    const x = torch.empty([400, 300]);
    nn.init.xavierUniform_(x);
    assert.ok(x.abs().max().item() <= Math.sqrt(6 / 700) + 1e-7);
    const t = torch.empty([200000]);
    nn.init.truncNormal_(t, { std: 0.02, a: -0.04, b: 0.04 });
    assert.ok(t.min().item() >= -0.04 && t.max().item() <= 0.04);
    // Std of N(0, σ²) truncated at ±2σ is σ·√(1 − 2·2φ(2)/(2Φ(2)−1)) = 0.87962σ.
    assertClose(t.std(), 0.02 * 0.87962, 0.01, 'truncated normal std');
    assert.ok(Math.abs(t.mean().item()) < 2e-4);
  });
});

test('init.skipInit: initialisers are no-ops inside (no random numbers drawn), restored after a return or a throw, nested', () => {
  torch.tidy(() => {
    torch.manualSeed(0);
    const expected = torch.rand([3]);
    torch.manualSeed(0);
    const lin = torch.nn.init.skipInit(() => new torch.nn.Linear(4, 4));
    assert.deepEqual(lin.weight.shape, [4, 4]);
    assert.ok(torch.rand([3]).equal(expected), 'building drew no random numbers');
    const t = torch.zeros([5]);
    torch.nn.init.skipInit(() => {
      torch.nn.init.skipInit(() => torch.nn.init.truncNormal_(t, { std: 1 }));
      assert.equal(torch.nn.init.initSkipped(), true, 'still skipped after the inner call');
      torch.nn.init.normal_(t);
      torch.nn.init.constant_(t, 3);
    });
    assert.equal(t.abs().sum().item(), 0, 'untouched inside');
    assert.throws(() =>
      torch.nn.init.skipInit(() => {
        throw new Error('boom');
      }),
    );
    assert.equal(torch.nn.init.initSkipped(), false);
    torch.nn.init.constant_(t, 3);
    assert.equal(t.sum().item(), 15, 'initialisers run again afterwards');
  });
});
