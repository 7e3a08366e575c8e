/**
 * MoCoV3ViT (MMSelfSup's `mocov3_vit.py`, Chen et al. 2021): MoCo v3's ViT-S arch; the fixed position
 * table against MMSelfSup's `build_2d_sincos_position_embedding` run in PyTorch (square and
 * rectangular grids); the initialisation statistics against MMSelfSup's formulas worked by hand
 * (uniform bounds √(6 / (fan_in + fan_out)) with the qkv split, zero biases, class token N(0, 10⁻⁶));
 * `stopGradConv1`: no gradient for the patch projection, and an optimizer step moves neither it nor
 * the position table while it moves everything else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { MoCoV3ViT } from '../../../src/models/backbones/mocov3-vit.js';
import { sincos2dPosEmbed } from '../../../src/models/backbones/pos-embed.js';
import { buildOptimWrapper } from '../../../src/engine/optim-builder.js';
import { BACKBONES } from '../../../src/models/registries.js';
import { py } from '../../helpers.js';
import { assertMaxDiff } from './parity.js';
import '../../../src/builtins.js';

test('MoCoV3ViT: registered; mocov3-small is D 384, 12 blocks, 12 heads, MLP 1536 (DeiT-S has 6 heads)', () => {
  const net = BACKBONES.build({ type: 'MoCoV3ViT', arch: 'mocov3-small', depth: 1 }, 'backbone');
  assert.ok(net instanceof MoCoV3ViT);
  assert.deepEqual([net.embedDim, net.numHeads, net.blocks.at(0).mlp.fc1.weight.shape[0]], [384, 12, 1536]);
  assert.deepEqual(net.gridSize, [14, 14]);
  assert.equal(net.stopGradConv1, false, "MMSelfSup's default");
  net.dispose();
  const deit = BACKBONES.build({ type: 'MoCoV3ViT', arch: 'small', depth: 1 }, 'backbone') as MoCoV3ViT;
  assert.equal(deit.numHeads, 6);
  deit.dispose();
  assert.throws(() => BACKBONES.build({ type: 'MoCoV3ViT', posEmbed: 'learnable' }, 'backbone'), /posEmbed/);
});

test('MoCoV3ViT: the position table is MMSelfSup’s build_2d_sincos_position_embedding (cls row zero), not trainable', () => {
  const ref = py<{ sq: number[][]; rect: number[][] }>(
    `
def build(h, w, dims, cls_token, temperature=10000.):
    # mmselfsup/models/utils/position_embedding.py, as written there
    grid_w = torch.arange(w, dtype=torch.float32)
    grid_h = torch.arange(h, dtype=torch.float32)
    grid_w, grid_h = torch.meshgrid(grid_w, grid_h, indexing='ij')
    pos_dim = dims // 4
    omega = torch.arange(pos_dim, dtype=torch.float32) / pos_dim
    omega = 1. / (temperature ** omega)
    out_w = torch.einsum('m,d->md', [grid_w.flatten(), omega])
    out_h = torch.einsum('m,d->md', [grid_h.flatten(), omega])
    pe = torch.cat([torch.sin(out_w), torch.cos(out_w), torch.sin(out_h), torch.cos(out_h)], dim=1)[None]
    if cls_token:
        pe = torch.cat([torch.zeros([1, 1, dims]), pe], dim=1)
    return pe
OUT = {'sq': build(4, 4, 32, True)[0].tolist(), 'rect': build(2, 3, 16, True)[0].tolist()}`,
    {},
  );
  const sq = new MoCoV3ViT({ embedDim: 32, depth: 1, numHeads: 2, patchSize: 4, imgSize: 16 });
  assertMaxDiff(sq.posEmbed.squeeze(0), ref.sq, 1e-6, 'MoCo v3 sincos 4x4 + cls');
  assert.equal(sq.posEmbed.requiresGrad, false);
  // Not MAE's table (whose halves are swapped on a square grid): the comparison can fail.
  const mae = sincos2dPosEmbed(32, 4, { numPrefixTokens: 1 });
  assert.ok(mae.sub(sq.posEmbed).abs().max().item() > 0.5, 'differs from the MAE layout');
  const rect = new MoCoV3ViT({ embedDim: 16, depth: 1, numHeads: 2, patchSize: 4, imgSize: [8, 12] });
  assert.deepEqual(rect.gridSize, [2, 3]);
  assertMaxDiff(rect.posEmbed.squeeze(0), ref.rect, 1e-6, 'MoCo v3 sincos 2x3 + cls (its ij meshgrid)');
  for (const t of [sq, rect, mae]) t.dispose();
});

test('MoCoV3ViT: MMSelfSup’s initialisation (uniform bounds by hand, qkv split, zero biases, cls N(0, 1e-6))', () => {
  torch.manualSeed(11);
  const D = 192;
  const p = 8;
  const net = new MoCoV3ViT({ embedDim: D, depth: 2, numHeads: 3, patchSize: p, imgSize: 32 });
  // U(±b): every |w| ≤ b, the largest close to b, std b/√3.
  const checkUniform = (k: string, w: Tensor, b: number) => {
    const max = w.abs().max().item();
    const std = w.std().item();
    assert.ok(max <= b * (1 + 1e-6) && max > 0.98 * b, `${k}: max |w| ${max} vs bound ${b}`);
    assert.ok(Math.abs(std / (b / Math.sqrt(3)) - 1) < 0.03, `${k}: std ${std} vs ${b / Math.sqrt(3)}`);
  };
  const xavier = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut));
  const bounds: Record<string, number> = {
    'patch_embed.proj.weight': xavier(3 * p * p, D), // √(6 / (3·p² + D)) = 0.125
    'attn.qkv.weight': xavier(D, D), // Q, K, V separately: √(6 / (3D/3 + D)) = 0.125, not √(6 / 4D)
    'attn.proj.weight': xavier(D, D),
    'mlp.fc1.weight': xavier(D, 4 * D),
    'mlp.fc2.weight': xavier(4 * D, D),
  };
  assert.ok(
    Math.abs(bounds['attn.qkv.weight'] - 0.125) < 1e-12 && Math.abs(bounds['mlp.fc1.weight'] - Math.sqrt(6 / 960)) < 1e-12,
  );
  torch.noGrad(() =>
    torch.tidy(() => {
      let checked = 0;
      for (const [k, w] of net.namedParameters()) {
        const rule = Object.keys(bounds).find((suffix) => k.endsWith(suffix));
        if (rule) {
          checkUniform(k, w, bounds[rule]);
          checked++;
        } else if (k === 'cls_token') {
          const s = w.std().item();
          assert.ok(s > 0.7e-6 && s < 1.3e-6, `cls_token std ${s}`);
        } else if (k.endsWith('.bias')) assert.equal(w.abs().sum().item(), 0, `${k} is zero`);
        else if (/norm\d?\.weight$/.test(k)) assert.ok(w.eq(1).all().item(), `${k} is one`);
        else if (k !== 'pos_embed') assert.fail(`unchecked parameter ${k}`);
      }
      assert.equal(checked, 1 + 4 * 2);
    }),
  );
  net.dispose();
});

test('MoCoV3ViT stopGradConv1: the patch projection gets no gradient; a step moves neither it nor the table', () => {
  torch.manualSeed(2);
  const net = BACKBONES.build(
    { type: 'MoCoV3ViT', embedDim: 32, depth: 2, numHeads: 2, patchSize: 4, imgSize: 16, stopGradConv1: true },
    'backbone',
  ) as MoCoV3ViT;
  const frozen = ['patch_embed.proj.weight', 'patch_embed.proj.bias', 'pos_embed'];
  net.train();
  net.eval();
  net.train();
  for (const [k, w] of net.namedParameters())
    assert.equal(w.requiresGrad, !frozen.includes(k), `${k}.requiresGrad after train/eval`);
  const ow = buildOptimWrapper({ optimizer: { type: 'AdamW', lr: 0.01, weightDecay: 0.1 } }, net);
  const before = Object.fromEntries([...net.namedParameters()].map(([k, w]) => [k, torch.keep(w.detach().clone())]));
  const x = torch.randn([4, 3, 16, 16]);
  torch.tidy(() => {
    const loss = net.forward(x)[0].pow(2).sum();
    loss.backward();
    for (const [k, w] of net.namedParameters()) {
      if (frozen.includes(k)) assert.ok(!w.grad, `${k} has no gradient`);
      else assert.ok(w.grad && w.grad.abs().sum().item() > 0, `${k} has a gradient`);
    }
    ow.updateParams(net.forward(x)[0].pow(2).sum());
  });
  for (const [k, w] of net.namedParameters()) {
    const moved = w.sub(before[k]).abs().max().item();
    if (frozen.includes(k)) assert.equal(moved, 0, `${k} unchanged`);
    else assert.ok(moved > 0, `${k} updated`);
  }
  // Without the option the projection trains.
  const free = new MoCoV3ViT({ embedDim: 32, depth: 1, numHeads: 2, patchSize: 4, imgSize: 16 });
  torch.tidy(() => free.forward(x)[0].sum().backward());
  assert.ok(free.patchEmbed.proj.weight.grad, 'the projection trains without stopGradConv1');
  assert.ok(!free.posEmbed.grad, 'the table never trains');
  for (const t of [net, free, x, ...Object.values(before)]) t.dispose();
});
