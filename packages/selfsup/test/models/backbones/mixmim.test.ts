/**
 * MixMIMTransformer on its own: mmcls's state-dict names, the pretraining initialisation, the mask
 * (⌊L/2⌋ cells, repeatable under a seed), that attention never crosses source images (changing the
 * pixels another image lends changes only the lent cells' outputs), the evaluation forward,
 * `frozenStages` / `normEval` (Swin's rule: no gradient and eval mode for what is frozen), and
 * option errors. The mixed forward's arithmetic is checked against PyTorch in
 * algorithms/mixmim-parity.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { nn } from '@selfsup/torch';
import { MixMIMTransformer } from '../../../src/models/backbones/mixmim.js';
import { BACKBONES } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

const tiny = { imgSize: 64, patchSize: 4, embedDim: 8, depths: [1, 1, 1, 1], numHeads: [1, 2, 2, 4], windowSize: [4, 4, 2, 2] };

test('MixMIMTransformerPretrain: MixMIM-B by default, mmcls’s keys, stride 32', () => {
  const net = BACKBONES.build({ type: 'MixMIMTransformerPretrain', depths: [1, 1, 1, 1] });
  assert.ok(net instanceof MixMIMTransformer);
  assert.deepEqual([net.embedDim, net.numHeads, net.numFeatures, net.encoderStride], [128, [4, 8, 16, 32], 1024, 32]);
  assert.deepEqual(net.patchResolution, [56, 56]);
  assert.deepEqual(
    [...net.layers].map((l) => l.blocks.at(0).windowSize),
    [14, 14, 14, 7],
  );
  const keys = Object.keys(net.stateDict());
  for (const k of [
    'patch_embed.projection.weight',
    'patch_embed.norm.weight',
    'absolute_pos_embed',
    'layers.0.blocks.0.ln1.weight',
    'layers.0.blocks.0.attn.qkv.weight',
    'layers.0.blocks.0.attn.relative_position_bias_table',
    'layers.0.blocks.0.attn.relative_position_index',
    'layers.0.blocks.0.ln2.bias',
    'layers.0.blocks.0.ffn.layers.0.0.weight',
    'layers.0.blocks.0.ffn.layers.1.weight',
    'layers.2.downsample.norm.weight',
    'layers.2.downsample.reduction.weight',
    'norm.weight',
  ])
    assert.ok(keys.includes(k), k);
  assert.ok(!keys.includes('layers.3.downsample.norm.weight'), 'no merging after the last stage');
  net.dispose();
});

test('MixMIMTransformer: MMSelfSup’s pretraining initialisation', () => {
  torch.manualSeed(0);
  const net = new MixMIMTransformer({ ...tiny, embedDim: 32 });
  torch.tidy(() => {
    assert.equal(net.absolutePosEmbed.requiresGrad, false);
    // Sine-cosine: the first quarter of the channels is sin(ω·column), which is 0 at column 0.
    assert.equal(net.absolutePosEmbed.select(1, 0).narrow(-1, 0, 8).abs().max().item(), 0);
    const table = net.layers.at(0).blocks.at(0).attn.relativePositionBiasTable;
    // mmcls's trunc_normal_(std=0.02) cuts at ±2 (absolute): a plain N(0, 0.02) in effect; 49 × 1 draws here.
    assert.ok(Math.abs(table.std().item() - 0.02) < 0.008, `std ${table.std().item()}`);
    const qkv = net.layers.at(0).blocks.at(0).attn.qkv;
    const bound = Math.sqrt(6 / (32 + 96));
    assert.ok(qkv.weight.abs().max().item() <= bound && qkv.weight.abs().max().item() > 0.8 * bound, 'Xavier-uniform');
    assert.equal(qkv.bias?.abs().max().item(), 0);
  });
  net.dispose();
});

test('MixMIMTransformer: ⌊L·r⌋ mixed cells, the same under the same seed', () => {
  const net = new MixMIMTransformer({ ...tiny, imgSize: 128, maskRatio: 0.5 });
  torch.tidy(() => {
    torch.manualSeed(5);
    const a = net.randomMask([4, 4]);
    torch.manualSeed(5);
    const b = net.randomMask([4, 4]);
    assert.deepEqual(a.shape, [1, 16]);
    assert.equal(a.sum().item(), 8);
    assert.ok(a.equal(b));
  });
  net.dispose();
});

test('MixMIMTransformer: attention stays within each source image', () => {
  torch.manualSeed(1);
  const net = new MixMIMTransformer(tiny);
  net.eval();
  torch.noGrad(() =>
    torch.tidy(() => {
      const x = torch.randn([4, 3, 64, 64]);
      torch.manualSeed(7);
      const a = net.forwardMixed(x);
      // Change image 0's pixels in the cells it lends to image 3 (mask 1): image 3's other cells must not notice.
      const pixelMask = a.mask.reshape(1, 1, 2, 1, 2, 1).expand(1, 1, 2, 32, 2, 32).reshape(1, 1, 64, 64);
      const change = torch.zeros([4, 1, 1, 1]);
      change.narrow(0, 0, 1).fill_(1);
      const y = x.add(pixelMask.mul(change).mul(3));
      torch.manualSeed(7);
      const b = net.forwardMixed(y);
      assert.ok(a.mask.equal(b.mask));
      const own = a.mask.reshape(-1).eq(0);
      const lent = a.mask.reshape(-1).eq(1);
      const diff = b.latent.sub(a.latent).abs().amax(-1); // (4, L)
      const d3 = diff.select(0, 3);
      assert.ok(d3.maskedSelect(own).max().item() < 1e-6, 'image 3’s own cells are untouched');
      assert.ok(d3.maskedSelect(lent).min().item() > 1e-3, 'the lent cells changed');
      // Image 0 keeps its own (mask 0) cells; the changed pixels (mask 1) went to image 3 only.
      assert.ok(diff.select(0, 0).max().item() < 1e-6, 'image 0 saw none of its changed pixels');
      assert.ok(diff.select(0, 1).max().item() < 1e-6 && diff.select(0, 2).max().item() < 1e-6);
    }),
  );
  net.dispose();
});

test('MixMIMTransformer: the evaluation forward averages the unmixed final tokens', () => {
  const net = new MixMIMTransformer(tiny);
  net.eval();
  torch.noGrad(() =>
    torch.tidy(() => {
      const x = torch.randn([2, 3, 64, 64]);
      const [f] = net.forward(x);
      assert.deepEqual(f.shape, [2, 64]);
      assert.ok(f.sub(net.forwardFeatures(x).mean(1)).abs().max().item() < 1e-6);
      assert.throws(() => net.forward(torch.randn([1, 3, 32, 32])), /expected 64×64 images/);
    }),
  );
  net.dispose();
});

test('MixMIMTransformer: option errors name the option', () => {
  assert.throws(() => new MixMIMTransformer({ ...tiny, numHeads: [1, 2, 2] }), /3 head counts/);
  assert.throws(() => new MixMIMTransformer({ ...tiny, imgSize: 48 }), /imgSize 48 must be a multiple of the encoder stride 32/);
  assert.throws(() => new MixMIMTransformer({ ...tiny, windowSize: [3, 4, 2, 2] }), /not a whole number of 3-token windows/);
  assert.throws(() => new MixMIMTransformer({ ...tiny, outIndices: [0] }), /outIndices can only name the last stage/);
  assert.throws(() => new MixMIMTransformer({ ...tiny, frozenStages: 5 }), /frozenStages 5 exceeds the 4 stages/);
});

test('MixMIMTransformer: frozenStages freezes the patch embedding and the first stages (no gradient, eval mode)', () => {
  for (const k of [0, 2, 4]) {
    const net = new MixMIMTransformer({ ...tiny, frozenStages: k, dropRate: 0.1 }).train();
    const frozen = (name: string) =>
      name.startsWith('patch_embed.') ||
      [...Array(k).keys()].some((i) => name.startsWith(`layers.${i}.`)) ||
      (k === 4 && name.startsWith('norm.'));
    for (const [name, p] of net.namedParameters())
      if (name !== 'absolute_pos_embed') assert.equal(p.requiresGrad, !frozen(name), `k=${k}: ${name}`);
    const modules = new Map(net.namedModules());
    for (const [name, m] of modules) {
      const inFrozen = name === 'drop_after_pos' || frozen(`${name}.`);
      if (name !== '') assert.equal(m.training, !inFrozen, `k=${k}: ${name} mode`);
    }
    torch.manualSeed(0);
    torch.tidy(() => {
      const x = torch.randn([2, 3, 64, 64]);
      // Both the evaluation and the mixed (pretraining) forward.
      const y = net.forward(x)[0].square().sum().add(net.forwardMixed(x).latent.square().sum());
      // All four stages frozen: nothing left that takes a gradient.
      if (k < 4) y.backward();
      else assert.equal(y.requiresGrad, false);
    });
    for (const [name, p] of net.namedParameters()) {
      if (!p.requiresGrad) assert.equal(p.grad, null, `k=${k}: no gradient for frozen ${name}`);
      else assert.ok(p.grad && p.grad.abs().sum().item() > 0, `k=${k}: ${name} trains`);
    }
    // train() again (as each epoch does) keeps the frozen part frozen; eval() then train() too.
    net.eval().train();
    assert.equal(net.patchEmbed.training, false);
    if (k > 0) assert.equal(net.layers.at(k - 1).training, false);
    if (k < 4) assert.equal(net.layers.at(k).training, true);
    net.dispose();
  }
});

test('MixMIMTransformer: normEval keeps every LayerNorm in eval mode while training', () => {
  const net = new MixMIMTransformer({ ...tiny, normEval: true }).train();
  let norms = 0;
  for (const m of net.modules()) {
    if (m instanceof nn.LayerNorm) {
      norms++;
      assert.equal(m.training, false);
    }
  }
  // patch_embed.norm, ln1/ln2 of 4 blocks, 3 patch-merging norms, the final norm.
  assert.equal(norms, 1 + 8 + 3 + 1);
  assert.equal(net.layers.at(0).blocks.at(0).attn.training, true);
  net.dispose();
});
