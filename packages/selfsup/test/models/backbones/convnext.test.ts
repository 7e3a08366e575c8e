/**
 * ConvNeXt (Liu et al. 2022) and ConvNeXt V2 (GRN) against two independent references: torchvision's
 * own `ConvNeXt` (its state dict renamed to mmpretrain's keys in Python; its classifier LayerNorm is
 * our `norm3` after pooling), and a PyTorch restatement of mmpretrain's (convnext-reference.ts) in
 * float64, outputs and every parameter's gradient. Plus ConvNeXt-T's size (torchvision's
 * convnext_tiny has 28,589,128 parameters, 769,000 of them its 768→1000 classifier), freezing and
 * bad options.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { ConvNeXt, type ConvNeXtOptions } from '../../../src/models/backbones/convnext.js';
import type { ConvNeXtBlock } from '../../../src/models/backbones/convnext-block.js';
import { SparseConvNeXt } from '../../../src/models/backbones/sparse-convnext.js';
import { BACKBONES } from '../../../src/models/registries.js';
import '../../../src/builtins.js';
import { py } from '../../helpers.js';
import { perturb } from '../algorithms/parity-reference.js';
import { PY_CONVNEXT } from './convnext-reference.js';
import { assertMaxDiff, tempDir } from './parity.js';

const dir = tempDir('selfsup-convnext-');
const SMALL = { depths: [2, 1, 1, 1], channels: [8, 16, 24, 32] };

test('ConvNeXt loads torchvision’s ConvNeXt (keys renamed) and computes its features and pooled, normalised output', () => {
  const files = { ckpt: join(dir, 'tv.pth'), x: join(dir, 'tv-x.pth') };
  const ref = py<{ pooled: number[][]; features: number[][][][] }>(
    `
import torchvision
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
cfg = [CNBlockConfig(8, 16, 2), CNBlockConfig(16, 24, 1), CNBlockConfig(24, 32, 1), CNBlockConfig(32, None, 1)]
m = ConvNeXt(cfg, stochastic_depth_prob=0.0).eval()
with torch.no_grad():
    for n, p in m.named_parameters():
        p.add_(torch.randn_like(p) * 0.3)
sd, out = m.state_dict(), {}
for k, v in sd.items():
    f = k.split('.')
    if f[0] == 'classifier':
        if f[1] == '0': out['norm3.' + f[2]] = v
        continue
    i = int(f[1])
    if i == 0: out['downsample_layers.0.' + '.'.join(f[2:])] = v
    elif i % 2 == 0: out[f'downsample_layers.{i // 2}.' + '.'.join(f[2:])] = v
    else:
        s, j = (i - 1) // 2, f[2]
        if f[3] == 'layer_scale': out[f'stages.{s}.{j}.gamma'] = v.reshape(-1)
        else:
            name = {'0': 'depthwise_conv', '2': 'norm', '3': 'pointwise_conv1', '5': 'pointwise_conv2'}[f[4]]
            out[f'stages.{s}.{j}.{name}.{f[5]}'] = v
torch.save(out, D['ckpt'])
x = torch.randn(2, 3, 64, 64)
torch.save({'x': x}, D['x'])
with torch.no_grad():
    feats = m.features(x)
    OUT = {'pooled': m.classifier[0](m.avgpool(feats)).flatten(1), 'features': feats}`,
    files,
  );
  torch.tidy(() => {
    const net = new ConvNeXt({ arch: SMALL }).to('float64').eval();
    net.loadStateDict(torch.load(files.ckpt) as Record<string, Tensor>);
    const { x } = torch.load(files.x) as Record<string, Tensor>;
    const [pooled] = net.forward(x);
    assert.deepEqual(pooled.shape, [2, 32]);
    assertMaxDiff(pooled, ref.pooled, 1e-10, 'torchvision pooled + norm3');
    assertMaxDiff(net.forwardFeatures(x), ref.features, 1e-10, 'torchvision features');
  });
});

/** Builds `o`, perturbs it, and compares outputs and gradients of Σ ⟨out_i, w_i⟩ with the restatement `ctor`. */
function restatementParity(o: ConvNeXtOptions, ctor: string, tag: string): void {
  torch.manualSeed(3);
  const net = new ConvNeXt(o).to('float64').train();
  perturb(net, 0.2, 4);
  const files = { ckpt: join(dir, `${tag}.pth`), inputs: join(dir, `${tag}-in.pth`) };
  torch.save(net.stateDict(), files.ckpt);
  const g = new torch.Generator().manualSeed(5);
  const x = torch.randn([2, 3, 64, 64], { dtype: 'float64', generator: g });
  const outs = net.forward(x);
  const ws = outs.map((t) => torch.randn(t.shape, { dtype: 'float64', generator: g }));
  torch.save({ x, ...Object.fromEntries(ws.map((w, i) => [`w${i}`, w])) }, files.inputs);
  const ref = py<{ outs: number[][]; grads: Record<string, number[]>; keys: string[] }>(
    `${PY_CONVNEXT}
m = ${ctor}
m.load_state_dict(torch.load(D['ckpt']), strict=True)
I = torch.load(D['inputs'])
outs = m(I['x'])
sum(((o * I[f'w{i}']).sum() for i, o in enumerate(outs))).backward()
OUT = {'outs': outs, 'grads': {k: p.grad for k, p in m.named_parameters() if p.grad is not None}, 'keys': list(m.state_dict().keys())}`,
    files,
  );
  assert.deepEqual(Object.keys(net.stateDict()).sort(), [...ref.keys].sort(), 'mmpretrain’s keys');
  outs.forEach((t, i) => {
    assertMaxDiff(t, ref.outs[i], 1e-10, `${tag} output ${i}`);
  });
  outs
    .reduce((acc: Tensor | null, t, i) => {
      const s = t.mul(ws[i]).sum();
      return acc ? acc.add(s) : s;
    }, null)
    ?.backward();
  const params = [...net.namedParameters()];
  assert.equal(params.length, Object.keys(ref.grads).length, 'every parameter has a gradient on both sides');
  for (const [k, p] of params) {
    assert.ok(p.grad, `${k} has a gradient`);
    const scale = 1 + p.grad.abs().max().item();
    assertMaxDiff(p.grad, ref.grads[k], 1e-9 * scale, `${tag} grad ${k}`);
  }
  net.dispose();
}

test('ConvNeXt V2 (GRN, no layer scale), four un-pooled outputs: outputs and gradients equal the PyTorch restatement', () => {
  restatementParity(
    { arch: SMALL, useGrn: true, layerScaleInitValue: 0, outIndices: [0, 1, 2, 3], gapBeforeFinalNorm: false },
    'CNX([2, 1, 1, 1], [8, 16, 24, 32], [0, 1, 2, 3], False, grn=True, ls=0)',
    'v2',
  );
});

test('ConvNeXt with 1×1-conv pointwise layers, pooled outputs of stages 1 and 3: outputs and gradients equal the restatement', () => {
  restatementParity(
    { arch: SMALL, linearPwConv: false, outIndices: [1, -1] },
    'CNX([2, 1, 1, 1], [8, 16, 24, 32], [1, 3], True, linear=False)',
    'conv-pw',
  );
});

test('convnext-tiny: mmpretrain’s ConvNeXt-T, 27,820,128 backbone parameters (torchvision’s convnext_tiny without its classifier)', () => {
  torch.tidy(() => {
    const net = BACKBONES.build({ type: 'convnext-tiny' }, 'backbone') as ConvNeXt;
    const count = [...net.parameters()].reduce((a, p) => a + p.numel(), 0);
    assert.equal(count, 28_589_128 - 769_000);
    assert.equal(net.numFeatures, 768);
    const keys = Object.keys(net.stateDict());
    for (const k of ['downsample_layers.0.0.weight', 'downsample_layers.3.1.weight', 'stages.2.8.gamma', 'norm3.bias'])
      assert.ok(keys.includes(k), k);
    assert.ok(!keys.some((k) => k.includes('grn')), 'V1 has no GRN');
    net.dispose();
  });
});

/** Wraps `m.forward` so that `before(input)` runs first and `after(output)` after it. */
function spy(m: torch.nn.Module, before: (t: Tensor) => void, after: (t: Tensor) => void = () => {}): void {
  const target = m as unknown as { forward(t: Tensor): Tensor };
  const f = target.forward.bind(target);
  target.forward = (t: Tensor) => {
    before(t);
    const y = f(t);
    after(y);
    return y;
  };
}

test('ConvNeXt frees a stage map it does not return once the next stage has read it, and a block its intermediates', () => {
  // Stage maps seen at each stage's entry: which of the earlier ones are freed by then.
  const freedAtEntry = (net: ConvNeXt): boolean[][] => {
    const maps: Tensor[] = [];
    const seen: boolean[][] = [];
    for (const s of net.stages)
      spy(
        s,
        () => seen.push(maps.map((t) => t.isDisposed)),
        (y) => maps.push(y),
      );
    torch.noGrad(() => torch.tidy(() => net.forward(torch.randn([1, 3, 64, 64]))));
    return seen;
  };
  const dense = new ConvNeXt({ arch: SMALL, outIndices: [1, 3], gapBeforeFinalNorm: false }).eval();
  // Map i-1 lives while stage i reads it. Map 0 is no output; map 1 is one, but `norm1` made a new
  // tensor of it.
  assert.deepEqual(freedAtEntry(dense), [[], [false], [true, false], [true, true, false]]);
  // The sparse variant returns map 1 itself (no output norm): it must survive.
  const sparse = new SparseConvNeXt({ arch: SMALL, outIndices: [1, 3], gapBeforeOutput: false }).eval();
  assert.deepEqual(freedAtEntry(sparse), [[], [false], [true, false], [true, false, false]]);
  // Inside a block: GELU's input (pointwise_conv1's output) is freed before pointwise_conv2 runs.
  const block = dense.stages.at(0).at(0) as ConvNeXtBlock;
  let geluInput: Tensor | null = null;
  spy(block.act, (t) => {
    geluInput = t;
  });
  let freedBeforePw2: boolean | null = null;
  spy(block.pointwiseConv2, () => {
    freedBeforePw2 = (geluInput as Tensor | null)?.isDisposed ?? null;
  });
  torch.noGrad(() => torch.tidy(() => dense.forward(torch.randn([1, 3, 64, 64]))));
  assert.equal(freedBeforePw2, true);
  dense.dispose();
  sparse.dispose();
});

test('ConvNeXt frozenStages freezes the first downsample layers and stages (no grad, eval), not the rest', () => {
  const net = new ConvNeXt({ arch: SMALL, frozenStages: 2, dropPathRate: 0.1 });
  net.train();
  for (const [k, p] of net.namedParameters()) {
    const frozen = /^(downsample_layers|stages)\.[01]\./.test(k);
    assert.equal(p.requiresGrad, !frozen, k);
  }
  assert.equal(net.stages.at(1).training, false);
  assert.equal(net.stages.at(2).training, true);
  net.dispose();
});

test('ConvNeXt rejects bad options with the option named', () => {
  assert.throws(() => BACKBONES.build({ type: 'ConvNeXt', arch: 'medium' } as never, 'backbone'), /arch/);
  assert.throws(() => new ConvNeXt({ arch: { depths: [1, 1], channels: [8] } }), /2 depths but 1 channel/);
  assert.throws(() => new ConvNeXt({ arch: SMALL, outIndices: [4] }), /out index 4/);
  assert.throws(() => new ConvNeXt({ arch: SMALL }).forward(torch.zeros([1, 4, 32, 32])), /Conv|channels|expected/);
});
