/**
 * MFFViT on its own: the fusion parameters (ones logits, frozen when there is one output, Xavier
 * projections with zero bias), that one fused output reduces to MAEViT's masked forward, that the
 * unmasked forward is the plain ViT's, mmpretrain-named weights loading, and option errors. The
 * fused masked forward itself is checked against PyTorch in algorithms/mff-parity.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { MFFViT } from '../../../src/models/backbones/mff-vit.js';
import { VisionTransformer } from '../../../src/models/backbones/vit.js';
import { BACKBONES } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

const small = { imgSize: 16, patchSize: 4, embedDim: 32, depth: 3, numHeads: 2 };

test('MFFViT: ones fusion logits (K, 1, 1, 1), K − 1 Xavier-initialised projections with zero bias', () => {
  torch.manualSeed(0);
  const net = BACKBONES.build({ type: 'MFFViT', ...small, outIndices: [0, 1, 2] });
  assert.ok(net instanceof MFFViT);
  assert.equal(net.posEmbedKind, 'sincos');
  assert.deepEqual(net.projWeights.shape, [3, 1, 1, 1]);
  assert.ok(net.projWeights.requiresGrad);
  assert.deepEqual(net.fusionWeights(), [1 / 3, 1 / 3, 1 / 3]);
  assert.equal(net.projLayers.length, 2);
  const bound = Math.sqrt(6 / (32 + 32));
  torch.tidy(() => {
    for (const p of net.projLayers) {
      const w = p.weight;
      assert.ok(w.abs().max().item() <= bound, 'Xavier-uniform bound');
      // Xavier-uniform's std is bound/√3; PyTorch's default U(±1/√32) has a smaller one (≈0.10 vs 0.18).
      assert.ok(Math.abs(w.std().item() - bound / Math.sqrt(3)) < 0.02, `std ${w.std().item()}`);
      assert.equal(p.bias?.abs().max().item(), 0);
    }
  });
  net.dispose();
});

test('MFFViT: one output (the default) freezes the logit and encodes exactly as MAEViT', () => {
  torch.manualSeed(1);
  const mff = new MFFViT(small);
  const vit = new VisionTransformer({ ...small, posEmbed: 'sincos', init: 'mae' });
  assert.equal(mff.projLayers.length, 0);
  assert.equal(mff.projWeights.requiresGrad, false);
  torch.noGrad(() => vit.loadStateDict(mff.stateDict(), { strict: false }));
  torch.tidy(() => {
    const x = torch.randn([2, 3, 16, 16]);
    torch.manualSeed(9);
    const a = mff.forwardMasked(x);
    torch.manualSeed(9);
    const b = vit.forwardMasked(x);
    assert.ok(a.latent.sub(b.latent).abs().max().item() < 1e-6);
    assert.ok(a.mask.equal(b.mask));
  });
  mff.dispose();
  vit.dispose();
});

test('MFFViT: the unmasked forward is the plain ViT’s, one output per out index, no fusion', () => {
  torch.manualSeed(2);
  const mff = new MFFViT({ ...small, outIndices: [0, 2], outType: 'raw' });
  torch.noGrad(() => torch.tidy(() => mff.projWeights.copy_(torch.tensor([3, -1]).view(2, 1, 1, 1))));
  const vit = new VisionTransformer({ ...small, posEmbed: 'sincos', outIndices: [0, 2], outType: 'raw' });
  torch.noGrad(() => vit.loadStateDict(mff.stateDict(), { strict: false }));
  torch.tidy(() => {
    const x = torch.randn([2, 3, 16, 16]);
    const a = mff.forward(x);
    const b = vit.forward(x);
    assert.equal(a.length, 2);
    for (let i = 0; i < 2; i++) assert.ok(a[i].sub(b[i]).abs().max().item() < 1e-6);
  });
  mff.dispose();
  vit.dispose();
});

test('MFFViT: mmpretrain’s keys (layers.*, ln1, proj_layers.*, proj_weights) load strictly', () => {
  const net = new MFFViT({ ...small, outIndices: [1, 2] });
  const sd = net.stateDict();
  const mm: Record<string, torch.Tensor> = {};
  torch.tidy(() => {
    for (const [k, v] of Object.entries(sd)) {
      const key = k
        .replace(/^blocks\.(\d+)\.norm1\./, 'layers.$1.ln1.')
        .replace(/^blocks\.(\d+)\.norm2\./, 'layers.$1.ln2.')
        .replace(/^blocks\.(\d+)\.mlp\.fc1\./, 'layers.$1.ffn.layers.0.0.')
        .replace(/^blocks\.(\d+)\.mlp\.fc2\./, 'layers.$1.ffn.layers.1.')
        .replace(/^blocks\.(\d+)\.attn\./, 'layers.$1.attn.')
        .replace(/^norm\./, 'ln1.')
        .replace(/^patch_embed\.proj\./, 'patch_embed.projection.');
      mm[key] = torch.keep(v.detach().add(0.5));
    }
  });
  assert.ok('proj_layers.0.weight' in mm && 'proj_weights' in mm && 'ln1.weight' in mm);
  torch.noGrad(() => net.loadStateDict(net.adaptStateDict(mm), { strict: true }));
  torch.tidy(() => {
    assert.ok(net.projWeights.sub(1.5).abs().max().item() < 1e-6, 'proj_weights loaded');
    assert.ok(net.norm?.weight?.sub(1.5).abs().max().item() === 0, 'ln1 → norm');
  });
  for (const v of Object.values(mm)) v.dispose();
  net.dispose();
});

test('MFFViT: decreasing or out-of-range outIndices are errors naming the option', () => {
  assert.throws(() => new MFFViT({ ...small, outIndices: [2, 0] }), /MFFViT: outIndices must be increasing/);
  assert.throws(() => new MFFViT({ ...small, outIndices: [0, 3] }), /out index 3 out of range/);
});
