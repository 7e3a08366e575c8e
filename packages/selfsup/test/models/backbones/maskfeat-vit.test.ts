/**
 * MaskFeatViT: MMSelfSup's defaults (ViT-B/16 at 224, a mask token, LayerNorm eps 1e-6) and its
 * initialisation (trunc-normal 0.02 class token, mask token, position embedding, linear and patch
 * weights; PyTorch's default patch bias U(±1/√fan_in); zero linear biases; LayerNorm 1/0), checked
 * by the statistics of a fresh model; the masked forward is VisionTransformer's (vit.test.ts (d)).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { MaskFeatViT } from '../../../src/models/backbones/maskfeat-vit.js';
import { BACKBONES } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

test('MaskFeatViT: registered with MMSelfSup’s defaults (ViT-B/16 at 224, mask token, LN eps 1e-6)', () => {
  const net = BACKBONES.build({ type: 'MaskFeatViT' });
  assert.ok(net instanceof MaskFeatViT);
  assert.deepEqual([net.embedDim, net.depth, net.numHeads], [768, 12, 12]);
  assert.deepEqual(net.gridSize, [14, 14]);
  assert.deepEqual(net.maskToken?.shape, [1, 1, 768]);
  assert.equal(net.norm?.o.eps, 1e-6);
  assert.equal(net.blocks.at(0).norm1.o.eps, 1e-6);
  net.dispose();
});

test('MaskFeatViT: MMSelfSup’s MaskFeatViT initialisation', () => {
  const std = (t: Tensor) => torch.tidy(() => t.std().item());
  torch.manualSeed(3);
  const net = new MaskFeatViT({ embedDim: 96, depth: 2, numHeads: 3, patchSize: 8, imgSize: 64 });
  const fanIn = 3 * 8 * 8;
  torch.noGrad(() => {
    for (const [k, p] of net.namedParameters()) {
      if (/(mlp\.fc\d|attn\.(qkv|proj))\.weight$/.test(k) || ['patch_embed.proj.weight', 'pos_embed', 'mask_token'].includes(k)) {
        assert.ok(Math.abs(std(p) - 0.02) < 0.003, `${k}: std ${std(p)}`);
      } else if (k === 'cls_token') {
        // trunc-normal(0.02) like the mask token, not timm's N(0, 1e-6): 96 draws of std 0.02.
        assert.ok(std(p) > 0.01 && std(p) < 0.03, `cls_token: std ${std(p)}`);
      } else if (k === 'patch_embed.proj.bias') {
        // PyTorch's Conv2d default, which MMSelfSup's _init_weights leaves: U(±1/√fan_in), std bound/√3.
        const bound = 1 / Math.sqrt(fanIn);
        assert.ok(p.abs().max().item() <= bound, `${k} within ±${bound}`);
        assert.ok(Math.abs(std(p) - bound / Math.sqrt(3)) < 0.25 * bound, `${k}: std ${std(p)}`);
      } else if (k.endsWith('.bias')) assert.equal(p.abs().sum().item(), 0, `${k} is zero`);
      else if (/norm\d?\.weight$/.test(k)) assert.ok(p.eq(1).all().item(), `${k} is one`);
      else assert.fail(`unchecked parameter ${k}`);
    }
  });
  net.dispose();
});
