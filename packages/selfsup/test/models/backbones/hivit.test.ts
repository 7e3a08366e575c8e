/**
 * HiViT and iTPNHiViT on their own: the unmasked forward (relative position bias and layer scale on)
 * against the PyTorch restatement of itpn-reference.ts with mmpretrain's module names loaded strictly
 * from our state dict (so mmpretrain checkpoints load key for key), the relative position indices
 * against PyTorch's, mmpretrain's block layout per arch, iTPNHiViT's fixed sine-cosine table against
 * `build_2d_sincos_position_embedding`'s formula, the masked pyramid's shapes, and option errors.
 * The masked forward's values are checked in algorithms/itpn-parity.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { HiViT, HIVIT_ARCHS, PatchMerge } from '../../../src/models/backbones/hivit.js';
import { ITPNHiViT } from '../../../src/models/backbones/itpn-hivit.js';
import { BACKBONES } from '../../../src/models/registries.js';
import { py } from '../../helpers.js';
import { PY_HIVIT } from '../algorithms/itpn-reference.js';
import { PY_MAE } from '../algorithms/mae-reference.js';
import '../../../src/builtins.js';

const small = { imgSize: 32, patchSize: 8, embedDims: 32, depths: [1, 1, 2] as [number, number, number], numHeads: 2 };

test('HiViT: rpe + layer scale forward equals the PyTorch restatement loaded strictly with mmpretrain names', () => {
  torch.manualSeed(0);
  const net = BACKBONES.build({ type: 'HiViT', ...small, rpe: true, layerScaleInit: 0.1, outIndices: [0, 1] });
  assert.ok(net instanceof HiViT);
  net.to('float64').eval();
  torch.noGrad(() => {
    for (const [, p] of net.namedParameters()) p.add_(torch.randn(p.shape, { dtype: 'float64' }).mul(0.05));
  });
  const sd = net.stateDict();
  for (const k of [
    'relative_position_index',
    'patch_embed.proj.weight',
    'patch_embed.norm.weight',
    'blocks.0.mlp.fc1.weight',
    'blocks.2.reduction.weight',
    'blocks.5.norm.weight',
    'blocks.6.attn.relative_position_bias_table',
    'blocks.6.attn.relative_position_index',
    'blocks.7.gamma_1',
    'blocks.7.gamma_2',
  ])
    assert.ok(k in sd, `${k} in the state dict`);
  assert.ok(!('blocks.0.gamma_1' in sd) && !('blocks.0.norm1.weight' in sd), 'stem blocks have no attention');
  const dir = mkdtempSync(join(tmpdir(), 'hivit-'));
  try {
    const x = torch.randn([2, 3, 32, 32], { dtype: 'float64', generator: new torch.Generator().manualSeed(3) });
    torch.save({ sd, x }, join(dir, 'in.pth'));
    const outs = torch.noGrad(() => net.forward(x));
    assert.deepEqual(
      outs.map((o) => o.shape),
      [
        [2, 32, 4, 4],
        [2, 32, 4, 4],
      ],
    );
    const ref = py<{ out: number[]; same_index: boolean }>(
      `import torch.nn as nn
${PY_MAE}
${PY_HIVIT}
d = torch.load(D['path'])
m = HiViTRef(32, 8, 32, [1, 1, 2], 2, 1e-5, rpe=True, ls=0.1).double()
own = {k: v.clone() for k, v in m.state_dict().items() if k.endswith('relative_position_index')}
m.load_state_dict(d['sd'], strict=True)
same = all(torch.equal(own[k], d['sd'][k]) for k in own)
with torch.no_grad(): out = m(d['x'])
OUT = {'out': out.flatten().tolist(), 'same_index': same}`,
      { path: join(dir, 'in.pth') },
    );
    assert.ok(ref.same_index, 'relative position indices equal PyTorch’s');
    const ours = Array.from(outs[1].flatten().toTypedArray() as Float64Array);
    const err = Math.max(...ours.map((v, i) => Math.abs(v - ref.out[i])));
    assert.ok(err < 1e-10, `max |diff| ${err}`);
    // The intermediate out index is a different tensor from the last.
    assert.ok(torch.tidy(() => outs[0].sub(outs[1]).abs().max().item()) > 1e-3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  net.dispose();
});

test('HiViT: mmpretrain’s flat block list per arch (2·d₀ stem blocks, merge, 2·d₁, merge, d₂ attention blocks)', () => {
  for (const [arch, a] of Object.entries(HIVIT_ARCHS)) {
    if (arch === 'large' || arch === 'base') continue; // same rule, too big to build in a unit test
    const net = new HiViT({ arch: arch as 'tiny' | 'small' });
    const [d0, d1, d2] = a.depths;
    assert.equal(net.blocks.length, 2 * d0 + 2 * d1 + d2 + 2, arch);
    assert.ok(net.blocks.at(2 * d0) instanceof PatchMerge);
    assert.ok(net.blocks.at(2 * d0 + 1 + 2 * d1) instanceof PatchMerge);
    assert.equal(net.mainBlocks.length, d2);
    assert.equal(net.numFeatures, a.embedDims);
    net.dispose();
  }
});

test('iTPNHiViT: a fixed sine-cosine table as build_2d_sincos_position_embedding, masked pyramid shapes', () => {
  torch.manualSeed(2);
  const net = BACKBONES.build({ type: 'iTPNHiViT', ...small });
  assert.ok(net instanceof ITPNHiViT);
  assert.equal(net.posEmbed?.requiresGrad, false);
  const ref = py<number[]>(
    `h = w = 4; d = 32; q = d // 4
gw, gh = torch.meshgrid(torch.arange(w, dtype=torch.float64), torch.arange(h, dtype=torch.float64), indexing='ij')
omega = 1. / (10000 ** (torch.arange(q, dtype=torch.float64) / q))
ow = gw.flatten()[:, None] * omega[None]; oh = gh.flatten()[:, None] * omega[None]
OUT = torch.cat([torch.sin(ow), torch.cos(ow), torch.sin(oh), torch.cos(oh)], 1).flatten().tolist()`,
  );
  const ours = Array.from(net.posEmbed?.flatten().toTypedArray() as Float32Array);
  assert.ok(Math.max(...ours.map((v, i) => Math.abs(v - ref[i]))) < 1e-6, 'sine-cosine table');
  const x = torch.randn([3, 3, 32, 32]);
  const { pyramid, mask, idsRestore } = net.forwardMasked(x);
  assert.deepEqual(
    pyramid.map((t) => t.shape),
    [
      [3, 4, 4, 4, 8],
      [3, 4, 2, 2, 16],
      [3, 4, 32],
    ],
  );
  assert.deepEqual(Array.from(mask.sum(1).toTypedArray() as Float32Array), [12, 12, 12]);
  assert.deepEqual(idsRestore.shape, [3, 16]);
  assert.throws(() => net.forwardMasked(torch.randn([1, 3, 48, 48])), /iTPNHiViT: masked pre-training needs 32-px images/);
  net.dispose();
});

test('HiViT: bad options and inputs are errors naming them', () => {
  assert.throws(() => new HiViT({ ...small, patchSize: 6 }), /HiViT: patchSize 6 must be divisible by 4/);
  assert.throws(() => new HiViT({ ...small, imgSize: 36 }), /HiViT: imgSize 36 must be a multiple of patchSize 8/);
  assert.throws(() => BACKBONES.build({ type: 'HiViT', arch: 'huge' }), /arch/);
  assert.throws(() => BACKBONES.build({ type: 'iTPNHiViT', reconstructionType: 'hog' }), /reconstructionType/);
  const net = new HiViT(small);
  assert.throws(
    () => net.forward(torch.randn([1, 3, 30, 30])),
    /HiViT: expected images \(N, C, H, W\) with H and W multiples of 8/,
  );
  net.dispose();
});
