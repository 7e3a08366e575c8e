/**
 * VisionTransformer against a timm-style ViT written in plain PyTorch (`vit-reference.ts`; timm and
 * mmcv are not installed): random weights saved with torch.save and loaded strictly, features
 * compared in float32; MMSelfSup/mmcls key mapping; position-embedding resizing and MAE's sine-cosine
 * table; MAE masking against the same noise/argsort in PyTorch; mask-token input; freezing;
 * gradients; memory.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { convertMMClsViTKeys, convertTimmViTKeys, VIT_ARCHS, VisionTransformer } from '../../../src/models/backbones/vit.js';
import { resizePosEmbed, sincos2dPosEmbed } from '../../../src/models/backbones/pos-embed.js';
import { py } from '../../helpers.js';
import { assertMaxDiff, report, tempDir } from './parity.js';
import { VIT_REF } from './vit-reference.js';
import { BACKBONES } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

const dir = tempDir('selfsup-vit-');
const TOL = 1e-4;

after(() => {
  console.log(`ViT parity (max abs diff): ${JSON.stringify(report)}`);
});

const CFG = { embedDim: 48, depth: 2, numHeads: 3, patchSize: 4, imgSize: 16, layerScaleInit: 0.1 } as const;

interface Ref {
  layer0: number[][][];
  feats16: number[][][];
  feats24: number[][][];
  featmap: number[][][][];
  avg: number[][];
  pos6: number[][][];
  masked: number[][][];
  mae: { seed: number; latent: number[][][]; mask: number[][]; idsRestore: number[][] }[];
  timmKeys: string[];
}

let cached: Ref | undefined;
const files = {
  timm: join(dir, 'vit_timm.pth'),
  masked: join(dir, 'vit_masked.pth'),
  mmcls: join(dir, 'vit_mmcls.pth'),
  inputs: join(dir, 'inputs.pth'),
};

/** One Python run: the reference model, its checkpoints in three namings, inputs and outputs. */
function reference(): Ref {
  cached ??= py<Ref>(
    `${VIT_REF}
torch.manual_seed(0)
m = ViT(48, 2, 3, 4, 16, 0.1).eval()
randomize(m)
x16 = torch.randn(2, 3, 16, 16); x24 = torch.randn(2, 3, 24, 24)
mask = torch.rand(2, 4, 4) < 0.4
sd = m.state_dict()
torch.save(sd, D['timm'])
torch.save({'x16': x16, 'x24': x24, 'mask': mask}, D['inputs'])
mm = OrderedDict(('backbone.' + to_mmcls(k), v) for k, v in sd.items())
mm['neck.fc.weight'] = torch.zeros(3, 48)
torch.save({'state_dict': mm}, D['mmcls'])
m.mask_token = nn.Parameter(torch.randn(1, 1, 48))
torch.save(m.state_dict(), D['masked'])
with torch.no_grad():
    f16 = m.forward_features(x16)
    OUT = {
        'layer0': m.blocks[0](m.embed(x16)), 'feats16': f16, 'feats24': m.forward_features(x24),
        'featmap': f16[:, 1:].reshape(2, 4, 4, 48).permute(0, 3, 1, 2), 'avg': f16[:, 1:].mean(1),
        'pos6': m.pos(6, 6), 'masked': m.forward_features(x16, mask),
        'mae': [dict(zip(['latent', 'mask', 'idsRestore'], mae(m, x16, 0.75, s)), seed=s) for s in (3, 11)],
        'timmKeys': list(sd.keys()),
    }`,
    files,
  );
  return cached;
}

function loadRecord(path: string): Record<string, Tensor> {
  return torch.load(path) as Record<string, Tensor>;
}

test('(a) loads a timm-style checkpoint strictly and matches its tokens, per-layer outputs and out types (float32)', () => {
  const ref = reference();
  torch.tidy(() => {
    const sd = loadRecord(files.timm);
    const inputs = loadRecord(files.inputs);
    const net = new VisionTransformer({ ...CFG, outIndices: [0, 1], outType: 'raw' }).eval();
    assert.deepEqual(Object.keys(net.stateDict()).sort(), [...ref.timmKeys].sort(), 'state-dict keys are timm’s');
    const res = net.loadStateDict(sd);
    assert.deepEqual([res.missingKeys, res.unexpectedKeys], [[], []]);
    const [l0, l1] = net.forward(inputs.x16);
    assertMaxDiff(l0, ref.layer0, TOL, 'vit block 0 output');
    assertMaxDiff(l1, ref.feats16, TOL, 'vit final tokens');
    assertMaxDiff(net.forwardFeatures(inputs.x16), ref.feats16, TOL, 'vit forwardFeatures');
    assertMaxDiff(net.forwardFeatures(inputs.x24), ref.feats24, TOL, 'vit 24px input (bicubic pos-embed)');

    const cls = new VisionTransformer(CFG).eval();
    cls.loadStateDict(sd);
    assertMaxDiff(
      cls.forward(inputs.x16)[0],
      ref.feats16.map((s) => s[0]),
      TOL,
      'vit clsToken output',
    );
    const fm = new VisionTransformer({ ...CFG, outType: 'featmap' }).eval();
    fm.loadStateDict(sd);
    assertMaxDiff(fm.forward(inputs.x16)[0], ref.featmap, TOL, 'vit featmap output');
    const avg = new VisionTransformer({ ...CFG, outType: 'avgFeatmap' }).eval();
    avg.loadStateDict(sd);
    assertMaxDiff(avg.forward(inputs.x16)[0], ref.avg, TOL, 'vit avgFeatmap output');
    for (const m of [net, cls, fm, avg]) m.dispose();
  });
});

test('(a) MMSelfSup/mmcls checkpoint keys map onto ours (backbone. prefix, ln/ffn/gamma names)', () => {
  const ref = reference();
  torch.tidy(() => {
    const ckpt = torch.load(files.mmcls) as { state_dict: Record<string, Tensor> };
    assert.ok('backbone.layers.0.ffn.layers.0.0.weight' in ckpt.state_dict);
    assert.ok('backbone.layers.1.attn.gamma1.weight' in ckpt.state_dict);
    const mapped = convertMMClsViTKeys(ckpt.state_dict);
    assert.deepEqual(Object.keys(mapped).sort(), [...ref.timmKeys].sort(), 'every key mapped, the neck dropped');
    const net = new VisionTransformer(CFG).eval();
    net.loadStateDict(mapped);
    const inputs = loadRecord(files.inputs);
    assertMaxDiff(net.forwardFeatures(inputs.x16), ref.feats16, TOL, 'vit from mmcls keys');
    assert.deepEqual(convertMMClsViTKeys({ 'layers.3.gamma_1': 1, 'layers.3.gamma_2': 2, pre_norm: 3, 'ln2.bias': 4 }), {
      'blocks.3.ls1.gamma': 1,
      'blocks.3.ls2.gamma': 2,
      pre_norm: 3,
      'fc_norm.bias': 4,
    });
    assert.deepEqual(Object.keys(convertTimmViTKeys({ 'module.head.weight': 0, 'module.norm.weight': 1, cls_token: 2 })), [
      'norm.weight',
      'cls_token',
    ]);
    net.dispose();
  });
});

test('(b) a checkpoint for another image size gets its position embedding resized bicubically on load', () => {
  const ref = reference();
  torch.tidy(() => {
    const net = new VisionTransformer({ ...CFG, imgSize: 24 }).eval();
    net.loadStateDict(loadRecord(files.timm));
    assert.deepEqual(net.posEmbed.shape, [1, 37, 48]);
    assertMaxDiff(net.posEmbed, ref.pos6, 1e-5, 'pos_embed resized on load 4x4 -> 6x6');
    assertMaxDiff(net.forwardFeatures(loadRecord(files.inputs).x24), ref.feats24, TOL, 'vit imgSize 24 from a 16px checkpoint');
    net.dispose();
  });
});

test('(b) resizePosEmbed matches F.interpolate (bicubic, also anti-aliased); sincos2dPosEmbed matches MAE’s numpy formula', () => {
  const ref = py<{ up: number[][][]; down: number[][][]; nocls: number[][][]; sq: number[][]; rect: number[][] }>(
    `import numpy as np
import torch.nn.functional as F
torch.manual_seed(5)
pe = torch.randn(1, 1 + 16, 8)
torch.save({'pe': pe}, D['path'])
def rs(pe, g, size, aa, prefix=1):
    grid = pe[:, prefix:].reshape(1, g, g, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=size, mode='bicubic', align_corners=False, antialias=aa)
    return torch.cat([pe[:, :prefix], grid.flatten(2).transpose(1, 2)], 1)
def one_d(dim, pos):
    omega = np.arange(dim // 2, dtype=np.float64) / (dim / 2.)
    omega = 1. / 10000 ** omega
    out = np.einsum('m,d->md', pos.reshape(-1), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)
def sincos(dim, gh, gw, cls):
    grid = np.meshgrid(np.arange(gw, dtype=np.float32), np.arange(gh, dtype=np.float32))  # w goes first, as MAE
    grid = np.stack(grid, axis=0).reshape([2, 1, gh, gw])
    emb = np.concatenate([one_d(dim // 2, grid[0]), one_d(dim // 2, grid[1])], axis=1)
    if cls: emb = np.concatenate([np.zeros([1, dim]), emb], axis=0)
    return emb
OUT = {'up': rs(pe, 4, (5, 6), False), 'down': rs(pe, 4, (2, 3), True), 'nocls': rs(pe[:, 1:], 4, (3, 3), False, 0),
       'sq': sincos(32, 7, 7, True).tolist(), 'rect': sincos(16, 3, 5, False).tolist()}`,
    { path: join(dir, 'pe.pth') },
  );
  torch.tidy(() => {
    const pe = loadRecord(join(dir, 'pe.pth')).pe;
    assertMaxDiff(resizePosEmbed(pe, [4, 4], [5, 6]), ref.up, 1e-5, 'bicubic 4x4 -> 5x6');
    assertMaxDiff(resizePosEmbed(pe, [4, 4], [2, 3], { antialias: true }), ref.down, 1e-5, 'bicubic anti-aliased 4x4 -> 2x3');
    assertMaxDiff(
      resizePosEmbed(pe.slice(1, 1), [4, 4], [3, 3], { numPrefixTokens: 0 }),
      ref.nocls,
      1e-5,
      'no prefix 4x4 -> 3x3',
    );
    assert.equal(resizePosEmbed(pe, [4, 4], [4, 4]), pe, 'same grid: the tensor itself');
    assertMaxDiff(sincos2dPosEmbed(32, 7, { numPrefixTokens: 1 }).squeeze(0), ref.sq, 1e-6, 'sincos 7x7 + cls vs MAE numpy');
    assertMaxDiff(sincos2dPosEmbed(16, [3, 5]).squeeze(0), ref.rect, 1e-6, 'sincos 3x5 vs MAE numpy (generalised)');
  });
  // A fixed (sincos) position embedding is the table and is never trained.
  const mae = new VisionTransformer({ ...CFG, posEmbed: 'sincos' });
  assert.equal(mae.posEmbed.requiresGrad, false);
  assertMaxDiff(mae.posEmbed.squeeze(0), sincos2dPosEmbed(48, 4, { numPrefixTokens: 1 }).squeeze(0), 0, 'sincos pos_embed init');
  mae.dispose();
});

test('(c) MAE random masking: same noise/argsort as PyTorch, exact keep count, ids_restore inverts the shuffle', () => {
  const ref = reference();
  torch.tidy(() => {
    const net = new VisionTransformer(CFG).eval();
    net.loadStateDict(loadRecord(files.timm));
    const x = loadRecord(files.inputs).x16;
    const L = 16;
    for (const r of ref.mae) {
      torch.manualSeed(r.seed);
      const { latent, mask, idsRestore } = net.forwardMasked(x, 0.75);
      assert.deepEqual(mask.toList(), r.mask, `mask (seed ${r.seed})`);
      assert.deepEqual(idsRestore.toList(), r.idsRestore, `ids_restore (seed ${r.seed})`);
      assertMaxDiff(latent, r.latent, TOL, 'MAE latent of visible tokens');
      // Properties that hold whatever the noise: 4 of 16 kept, the kept ones are the first after shuffling.
      assert.deepEqual(latent.shape, [2, 1 + 4, 48]);
      assert.deepEqual(mask.sum(1).toList(), [12, 12]);
      const idsShuffle = idsRestore.argsort({ dim: 1 });
      const ar = torch.arange(0, L).expand(2, L);
      assert.deepEqual(ar.gather(1, idsShuffle).gather(1, idsRestore).toList(), ar.toList(), 'restore ∘ shuffle = identity');
      const sortedMask = mask.gather(1, idsShuffle).toList() as number[][];
      for (const row of sortedMask) assert.deepEqual(row, [...new Array(4).fill(0), ...new Array(12).fill(1)]);
    }
    // Deterministic under manualSeed, different under another seed.
    torch.manualSeed(3);
    const a = net.forwardMasked(x, 0.75);
    torch.manualSeed(3);
    const b = net.forwardMasked(x, 0.75);
    torch.manualSeed(4);
    const c = net.forwardMasked(x, 0.75);
    assert.ok(a.latent.equal(b.latent) && a.mask.equal(b.mask));
    assert.ok(!a.mask.equal(c.mask));
    net.dispose();
  });
  // round(L·(1−ratio)) kept for other grids and ratios, including 0.9 of 100 (float 1−0.9 < 0.1).
  const big = new VisionTransformer({ ...CFG, imgSize: 40 }).eval();
  torch.tidy(() => {
    const x = torch.randn([1, 3, 40, 40]);
    for (const [ratio, keep] of [
      [0.9, 10],
      [0.75, 25],
      [0.6, 40],
      [0, 100],
    ]) {
      const { latent, mask } = big.forwardMasked(x, ratio);
      assert.equal(latent.shape[1], 1 + keep, `ratio ${ratio}`);
      assert.equal(mask.sum().item(), 100 - keep);
      assert.equal(keep, Math.round(100 * (1 - ratio)));
    }
  });
  big.dispose();
});

test('(d) mask-token input replaces exactly the masked patch embeddings (and matches PyTorch)', () => {
  const ref = reference();
  torch.tidy(() => {
    const net = new VisionTransformer({ ...CFG, maskToken: true }).eval();
    net.loadStateDict(loadRecord(files.masked));
    const { x16, mask } = loadRecord(files.inputs);
    const plain = net.embed(x16).tokens;
    const masked = net.embed(x16, mask).tokens;
    const changed = masked.sub(plain).abs().amax(-1).gt(0).toList() as boolean[][];
    const m = mask.toList() as boolean[][][];
    for (let n = 0; n < 2; n++) {
      assert.deepEqual(changed[n], [false, ...m[n].flat()], `image ${n}: only masked tokens change, the class token never`);
    }
    // A masked token is the mask token plus its position embedding.
    const expected = net.maskToken?.add(net.posEmbed.slice(1, 1)).squeeze(0) as Tensor;
    const sel = mask.reshape(2, 16);
    assertMaxDiff(
      masked.slice(1, 1).index(sel),
      expected.unsqueeze(0).expand(2, 16, 48).index(sel),
      1e-6,
      'masked = token + pos',
    );
    assertMaxDiff(net.forwardFeatures(x16, mask), ref.masked, TOL, 'vit mask-token forward');
    // A 0/1 float mask of shape (N, L) acts the same as the bool (N, h, w) one.
    assertMaxDiff(net.forward(x16, mask.reshape(2, 16).float())[0], net.forward(x16, mask)[0], 0, 'float (N, L) mask');
    assert.throws(() => new VisionTransformer(CFG).forward(x16, mask), /no mask token/);
    net.dispose();
  });
});

test('(f) frozenStages freezes the stem and the first blocks (no grad, eval); normEval keeps norms in eval', () => {
  const net = new VisionTransformer({ ...CFG, frozenStages: 1, dropPathRate: 0.2, maskToken: true });
  net.train();
  const frozen = (k: string) =>
    k.startsWith('patch_embed') || k.startsWith('blocks.0.') || ['cls_token', 'pos_embed', 'mask_token'].includes(k);
  for (const [k, p] of net.namedParameters()) assert.equal(p.requiresGrad, !frozen(k), k);
  for (const [k, m] of net.namedModules()) {
    if (k.startsWith('blocks.0') || k.startsWith('patch_embed') || k === 'pos_drop') assert.equal(m.training, false, k);
    else assert.equal(m.training, true, k);
  }
  torch.tidy(() => {
    net
      .forward(torch.randn([2, 3, 16, 16]), torch.rand([2, 4, 4]).lt(0.5))[0]
      .sum()
      .backward();
    for (const [k, p] of net.namedParameters()) assert.equal(p.grad === null, frozen(k), `grad of ${k}`);
  });
  net.dispose();

  const all = new VisionTransformer({ ...CFG, frozenStages: 2 }).train();
  assert.equal(all.numParameters({ trainableOnly: true }), 0, 'frozenStages = depth also freezes the final norm');
  all.dispose();
  const none = new VisionTransformer({ ...CFG, frozenStages: 0 }).train();
  assert.deepEqual(
    [...none.namedParameters()].filter(([, p]) => !p.requiresGrad).map(([k]) => k),
    ['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias'],
  );
  none.dispose();
  assert.throws(() => new VisionTransformer({ ...CFG, frozenStages: 3 }), /exceeds depth/);

  const ne = new VisionTransformer({ ...CFG, normEval: true }).train();
  for (const [k, m] of ne.namedModules()) {
    assert.equal(m.training, !(m instanceof torch.nn.LayerNorm), k);
  }
  ne.eval().train();
  assert.equal(ne.norm?.training, false, 'normEval survives eval() → train()');
  ne.dispose();
});

test('(g) gradients reach every trainable parameter (mask-token and MAE paths); forward leaks no tensors', () => {
  torch.manualSeed(7);
  const net = new VisionTransformer({ ...CFG, maskToken: true, dropPathRate: 0.1, outIndices: [0, 1], outType: 'raw' }).train();
  torch.tidy(() => {
    // Batch 8 so drop path cannot remove a branch for every sample (probability ≤ 0.1⁸).
    const outs = net.forward(torch.randn([8, 3, 16, 16]), torch.rand([8, 4, 4]).lt(0.5));
    outs[0].mean().add(outs[1].pow(2).mean()).backward();
    for (const [k, p] of net.namedParameters()) {
      const g = p.grad;
      assert.ok(g, `${k} has a gradient`);
      assert.ok(g.isfinite().all().item() && g.abs().sum().item() > 0, `${k}: finite, non-zero gradient`);
    }
  });
  net.dispose();

  const mae = BACKBONES.build({ type: 'MAEViT', ...CFG }) as VisionTransformer;
  mae.train();
  torch.tidy(() => {
    mae
      .forwardMasked(torch.randn([2, 3, 16, 16]))
      .latent.pow(2)
      .mean()
      .backward();
    for (const [k, p] of mae.namedParameters()) {
      if (k === 'pos_embed') assert.equal(p.grad, null, 'the fixed sine-cosine table gets no gradient');
      else assert.ok(p.grad, `${k} has a gradient`);
    }
  });

  // Memory: repeated forwards whose outputs are disposed leave no live tensors behind.
  const eval_ = new VisionTransformer({ ...CFG, maskToken: true, outIndices: [0, 1] }).eval();
  const x = torch.randn([2, 3, 24, 24]);
  const allMasked = torch.ones([2, 6, 6]);
  const run = () => {
    for (const t of eval_.forward(x)) t.dispose();
    eval_.forwardFeatures(x, allMasked).dispose();
    const r = mae.forwardMasked(x);
    for (const t of [r.latent, r.mask, r.idsRestore]) t.dispose();
  };
  torch.noGrad(run);
  const before = torch.memory().liveTensors;
  for (let i = 0; i < 3; i++) torch.noGrad(run);
  assert.equal(torch.memory().liveTensors, before);
  x.dispose();
  allMasked.dispose();
  mae.dispose();
  eval_.dispose();
});

test('registry: vit-tiny/small/base/large and VisionTransformer/MAEViT build with any patch and image size', () => {
  assert.deepEqual(VIT_ARCHS.tiny, { embedDim: 192, depth: 12, numHeads: 3 });
  assert.deepEqual(VIT_ARCHS.small, { embedDim: 384, depth: 12, numHeads: 6 });
  assert.deepEqual(VIT_ARCHS.base, { embedDim: 768, depth: 12, numHeads: 12 });
  assert.deepEqual(VIT_ARCHS.large, { embedDim: 1024, depth: 24, numHeads: 16 });
  for (const name of ['vit-tiny', 'vit-small', 'vit-base', 'vit-large', 'VisionTransformer', 'MAEViT']) {
    assert.ok(BACKBONES.has(name), name);
  }
  const tiny = BACKBONES.build({ type: 'vit-tiny', patchSize: 8, imgSize: [32, 48] }) as VisionTransformer;
  assert.equal(tiny.numFeatures, 192);
  assert.deepEqual(tiny.stageChannels.length, 12);
  assert.deepEqual(tiny.posEmbed.shape, [1, 1 + 4 * 6, 192]);
  assert.equal(tiny.blocks.at(0).attn.numHeads, 3);
  torch.tidy(() => assert.deepEqual(tiny.eval().forward(torch.randn([1, 3, 32, 48]))[0].shape, [1, 192]));
  tiny.dispose();
  const small = BACKBONES.build({ type: 'vit-small', patchSize: 16, imgSize: 32 }) as VisionTransformer;
  assert.deepEqual([small.embedDim, small.depth, small.numHeads], [384, 12, 6]);
  small.dispose();
});

test('initWeights: timm scheme (trunc-normal 0.02 linears and patch projection, zero biases, LN 1/0) and MAE’s', () => {
  const std = (t: Tensor) => torch.tidy(() => t.std().item());
  const net = new VisionTransformer({ embedDim: 96, depth: 2, numHeads: 3, patchSize: 8, imgSize: 64, layerScaleInit: 0.1 });
  torch.noGrad(() => {
    for (const [k, p] of net.namedParameters()) {
      if (/(mlp\.fc\d|attn\.(qkv|proj))\.weight$/.test(k) || k === 'patch_embed.proj.weight' || k === 'pos_embed') {
        // N(0, 0.02²) truncated at ±2 (absolute, as timm): the std is 0.02 and nothing exceeds 2.
        assert.ok(Math.abs(std(p) - 0.02) < 0.002, `${k}: std ${std(p)}`);
      } else if (k.endsWith('.bias')) assert.equal(p.abs().sum().item(), 0, `${k} is zero`);
      else if (/norm\d?\.weight$/.test(k)) assert.ok(p.eq(1).all().item(), `${k} is one`);
      else if (k.endsWith('.gamma')) assert.ok(p.sub(0.1).abs().max().item() < 1e-7, `${k} is the layer-scale init`);
      else if (k === 'cls_token') assert.ok(p.abs().max().item() < 1e-5, 'cls token N(0, 1e-6)');
      else assert.fail(`unchecked parameter ${k}`);
    }
  });
  net.dispose();
  const mae = new VisionTransformer({
    embedDim: 96,
    depth: 1,
    numHeads: 3,
    patchSize: 8,
    imgSize: 64,
    init: 'mae',
    posEmbed: 'sincos',
  });
  torch.noGrad(() => {
    const w = mae.blocks.at(0).mlp.fc1.weight; // (384, 96): Xavier-uniform bound √(6 / (96 + 384))
    const bound = Math.sqrt(6 / (96 + 384));
    assert.ok(w.abs().max().item() <= bound && Math.abs(std(w) - bound / Math.sqrt(3)) < 0.1 * bound);
    const pw = mae.patchEmbed.proj.weight; // as a (96, 3·8·8) linear
    const pb = Math.sqrt(6 / (96 + 192));
    assert.ok(pw.abs().max().item() <= pb && Math.abs(std(pw) - pb / Math.sqrt(3)) < 0.1 * pb);
    assert.ok(Math.abs(std(mae.clsToken as Tensor) - 0.02) < 0.01);
  });
  assert.ok(!('blocks.0.ls1.gamma' in mae.stateDict()), 'no layer-scale keys without layerScaleInit');
  mae.dispose();
});
