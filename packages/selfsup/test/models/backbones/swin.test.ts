/**
 * SwinTransformer against a Swin written in plain PyTorch (`swin-reference.ts`) with mmcls/mmpretrain's
 * module names (the keys of MMSelfSup's SimMIMSwinTransformer; mmcv is not installed): window
 * attention with relative position bias, cyclic-shift windows with their attention mask, padding to
 * the window, `nn.Unfold` patch merging and SimMIM's mask token. Random weights saved with torch.save,
 * loaded strictly, outputs compared in float32.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { SWIN_ARCHS, SwinTransformer } from '../../../src/models/backbones/swin.js';
import { py } from '../../helpers.js';
import { assertMaxDiff, report, tempDir } from './parity.js';
import { SWIN_REF } from './swin-reference.js';
import { BACKBONES } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

const dir = tempDir('selfsup-swin-');
const TOL = 1e-4;

after(() => {
  console.log(`Swin parity (max abs diff): ${JSON.stringify(report)}`);
});

const CFG = { embedDim: 24, depths: [2, 2], numHeads: [2, 4], windowSize: 4, imgSize: 32, patchSize: 4 };

interface Ref {
  out32: number[][][][][];
  out36: number[][][][][];
  masked: number[][][][][];
  keys: string[];
  relIndex: number[][];
  attnMaskSum: number;
}

let cached: Ref | undefined;
const files = { ckpt: join(dir, 'swin.pth'), inputs: join(dir, 'inputs.pth') };

function reference(): Ref {
  cached ??= py<Ref>(
    `${SWIN_REF}
torch.manual_seed(0)
m = Swin(24, [2, 2], [2, 4], 4, 4, [0, 1]).eval()
with torch.no_grad():
    for n, p in m.named_parameters():
        if 'norm' in n and n.endswith('weight'): p.uniform_(0.5, 1.5)
        elif 'relative_position_bias_table' in n: p.normal_(0, 1.0)
        else: p.normal_(0, 0.2)
x32 = torch.randn(2, 3, 32, 32); x36 = torch.randn(1, 3, 36, 36)
mask = torch.rand(2, 8, 8) < 0.5
torch.save(m.state_dict(), D['ckpt'])
torch.save({'x32': x32, 'x36': x36, 'mask': mask}, D['inputs'])
with torch.no_grad():
    OUT = {'out32': m(x32), 'out36': m(x36), 'masked': m(x32, mask), 'keys': list(m.state_dict().keys()),
           'relIndex': m.stages[0].blocks[0].attn.w_msa.relative_position_index}`,
    files,
  );
  return cached;
}

function loadRecord(path: string): Record<string, Tensor> {
  return torch.load(path) as Record<string, Tensor>;
}

test('(e) loads mmcls-named Swin weights strictly and matches both stages (shifted windows, attention mask, merging)', () => {
  const ref = reference();
  torch.tidy(() => {
    const net = new SwinTransformer({ ...CFG, outIndices: [0, 1] }).eval();
    assert.deepEqual(Object.keys(net.stateDict()).sort(), [...ref.keys].sort(), 'state-dict keys are mmcls’s');
    assert.deepEqual(net.stages.at(0).blocks.at(0).attn.wMsa.relativePositionIndex.toList(), ref.relIndex);
    net.loadStateDict(loadRecord(files.ckpt));
    const { x32, x36 } = loadRecord(files.inputs);
    const [s0, s1] = net.forward(x32);
    // 8x8 map, window 4: block 1 shifts by 2 with the region mask; 4x4 map = one window: no shift.
    assertMaxDiff(s0, ref.out32[0], TOL, 'swin stage 0 (32px)');
    assertMaxDiff(s1, ref.out32[1], TOL, 'swin stage 1 (32px)');
    // 9x9 map padded to 12x12 (shifted, masked), odd merge → 5x5 padded to 8x8 (shifted, masked).
    const [t0, t1] = net.forward(x36);
    assertMaxDiff(t0, ref.out36[0], TOL, 'swin stage 0 (36px, padded)');
    assertMaxDiff(t1, ref.out36[1], TOL, 'swin stage 1 (36px, padded, odd merge)');
    assert.deepEqual(t1.shape, [1, 48, 5, 5]);
    net.dispose();
  });
});

test('(e) SimMIM mask-token input matches PyTorch and changes exactly the masked patch embeddings', () => {
  const ref = reference();
  torch.tidy(() => {
    const net = new SwinTransformer({ ...CFG, outIndices: [0, 1] }).eval();
    net.loadStateDict(loadRecord(files.ckpt));
    const { x32, mask } = loadRecord(files.inputs);
    const [m0, m1] = net.forward(x32, mask);
    assertMaxDiff(m0, ref.masked[0], TOL, 'swin masked stage 0');
    assertMaxDiff(m1, ref.masked[1], TOL, 'swin masked stage 1');
    const plain = net.embed(x32).tokens;
    const masked = net.embed(x32, mask).tokens;
    const changed = masked.sub(plain).abs().amax(-1).gt(0);
    assert.ok(changed.equal(mask.reshape(2, 64)), 'only masked tokens change');
    net.dispose();
  });
});

test('(f) frozenStages / normEval; windows smaller than the map need padSmallMap', () => {
  const net = new SwinTransformer({ ...CFG, outIndices: [0, 1], frozenStages: 1 }).train();
  const frozen = (k: string) =>
    k.startsWith('patch_embed') || k.startsWith('stages.0.') || k === 'mask_token' || k.startsWith('norm0.');
  for (const [k, p] of net.namedParameters()) assert.equal(p.requiresGrad, !frozen(k), k);
  for (const [k, m] of net.namedModules()) {
    const off = k.startsWith('stages.0') || k.startsWith('patch_embed') || k === 'drop_after_pos' || k === 'norm0';
    assert.equal(m.training, !off, k);
  }
  torch.tidy(() => {
    const outs = net.forward(torch.randn([2, 3, 32, 32]));
    outs[1].sum().backward();
    for (const [k, p] of net.namedParameters()) if (frozen(k)) assert.equal(p.grad, null, `no grad for frozen ${k}`);
    assert.ok(net.stages.at(1).blocks.at(0).attn.wMsa.qkv.weight.grad, 'stage 1 trains');
  });
  net.dispose();
  const ne = new SwinTransformer({ ...CFG, normEval: true }).train();
  for (const [k, m] of ne.namedModules()) assert.equal(m.training, !(m instanceof torch.nn.LayerNorm), k);
  ne.dispose();
  const small = new SwinTransformer({ ...CFG, windowSize: 7 }).eval();
  assert.throws(() => torch.tidy(() => small.forward(torch.randn([1, 3, 32, 32]))), /padSmallMap/);
  small.dispose();
  const padded = new SwinTransformer({ ...CFG, windowSize: 7, padSmallMap: true }).eval();
  torch.tidy(() => assert.deepEqual(padded.forward(torch.randn([1, 3, 32, 32]))[0].shape, [1, 48, 4, 4]));
  padded.dispose();
});

test('(g) gradients reach every trainable parameter; forward leaks no tensors', () => {
  torch.manualSeed(7);
  const net = new SwinTransformer({ ...CFG, outIndices: [0, 1], dropPathRate: 0.2, useAbsPosEmbed: true }).train();
  torch.tidy(() => {
    // Batch 8: drop path (p ≤ 0.2 per sample) removes a block's branch for every sample with
    // probability ≤ 0.2⁸, which would leave that branch's parameters without gradient.
    const mask = torch.rand([8, 8, 8]).lt(0.5);
    const [a, b] = net.forward(torch.randn([8, 3, 32, 32]), mask);
    a.mean().add(b.pow(2).mean()).backward();
    for (const [k, p] of net.namedParameters()) {
      const g = p.grad;
      assert.ok(g, `${k} has a gradient`);
      assert.ok(g.isfinite().all().item() && g.abs().sum().item() > 0, `${k}: finite, non-zero gradient`);
    }
  });
  net.eval();
  const x = torch.randn([1, 3, 36, 36]);
  const run = () => {
    for (const t of net.forward(x)) t.dispose();
    net.forwardFeatures(x).dispose();
  };
  torch.noGrad(run); // fills the attention-mask cache
  const before = torch.memory().liveTensors;
  for (let i = 0; i < 3; i++) torch.noGrad(run);
  assert.equal(torch.memory().liveTensors, before);
  x.dispose();
  net.dispose();
});

test('registry: swin-tiny/small/base (SimMIM) and SwinTransformer/SimMIMSwinTransformer', () => {
  assert.deepEqual(SWIN_ARCHS.tiny, { embedDim: 96, depths: [2, 2, 6, 2], numHeads: [3, 6, 12, 24] });
  assert.deepEqual(SWIN_ARCHS.small, { embedDim: 96, depths: [2, 2, 18, 2], numHeads: [3, 6, 12, 24] });
  assert.deepEqual(SWIN_ARCHS.base, { embedDim: 128, depths: [2, 2, 18, 2], numHeads: [4, 8, 16, 32] });
  for (const n of ['swin-tiny', 'swin-small', 'swin-base', 'SwinTransformer', 'SimMIMSwinTransformer'])
    assert.ok(BACKBONES.has(n), n);
  const tiny = BACKBONES.build({ type: 'swin-tiny', imgSize: 192, windowSize: 6 }) as SwinTransformer;
  assert.deepEqual(tiny.stageChannels, [96, 192, 384, 768]);
  assert.equal(tiny.numFeatures, 768);
  assert.ok(tiny.maskToken, 'SimMIM variant has a mask token');
  assert.deepEqual(tiny.outIndices, [3]);
  assert.deepEqual(tiny.stages.at(2).blocks.at(1).attn.wMsa.relativePositionBiasTable.shape, [121, 12]);
  assert.ok('norm3.weight' in tiny.stateDict());
  tiny.dispose();
  const plain = BACKBONES.build({ type: 'SwinTransformer', ...CFG }) as SwinTransformer;
  assert.equal(plain.maskToken, null);
  torch.tidy(() => assert.deepEqual(plain.eval().forwardFeatures(torch.randn([1, 3, 32, 32])).shape, [1, 48, 4, 4]));
  plain.dispose();
});

test('initWeights: SimMIM scheme (trunc-normal 0.02 linears, bias tables and mask token; LN 1/0)', () => {
  const net = new SwinTransformer({ embedDim: 48, depths: [2, 2], numHeads: [3, 6], windowSize: 7, imgSize: 56 });
  torch.noGrad(() => {
    for (const [k, p] of net.namedParameters()) {
      const s = torch.tidy(() => p.std().item());
      if (/(qkv|proj|layers\.0\.0|layers\.1|reduction)\.weight$/.test(k) || k.endsWith('relative_position_bias_table'))
        assert.ok(Math.abs(s - 0.02) < 0.004, `${k}: std ${s}`);
      else if (k.startsWith('patch_embed.projection'))
        continue; // PyTorch's conv default, as SimMIM
      else if (k.endsWith('.bias')) assert.equal(p.abs().sum().item(), 0, `${k} is zero`);
      else if (k.endsWith('.weight')) assert.ok(p.eq(1).all().item(), `${k} is one (LayerNorm)`);
      else if (k === 'mask_token') assert.ok(Math.abs(s - 0.02) < 0.01);
      else assert.fail(`unchecked parameter ${k}`);
    }
  });
  net.dispose();
});
