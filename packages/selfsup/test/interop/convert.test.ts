/**
 * `convertFile` against other libraries' real models, in float64: torchvision's ResNet-18/50, a tiny
 * torchvision ViT and Swin are built in Python with a seed and converted to ours, whose features must
 * equal torchvision's; ours converted to torchvision, timm, mmpretrain and detectron2 load with
 * `strict=True` into Python models of those names (a timm-named and an mmpretrain-named ViT written
 * here, the mmpretrain-named Swin of swin-reference.ts) and give our features. Key lists for timm's
 * Swin and detectron2's ResNet are derived in Python from torchvision's with those projects' own
 * renaming rules, independently of src/interop. One Python process: our side is converted before it,
 * its models after it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { convertFile } from '../../src/interop/convert-file.js';
import { loadBackboneWeights } from '../../src/models/backbones/load.js';
import { ResNet } from '../../src/models/backbones/resnet.js';
import { SwinTransformer } from '../../src/models/backbones/swin.js';
import { VisionTransformer } from '../../src/models/backbones/vit.js';
import { maxAbsDiff, py } from '../helpers.js';
import { SWIN_REF } from '../models/backbones/swin-reference.js';

const TOL = 1e-10;
const dir = mkdtempSync(join(tmpdir(), 'selfsup-convert-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const f = (name: string) => join(dir, name);

const VIT = { imgSize: 32, patchSize: 8, embedDim: 32, depth: 2, numHeads: 2, mlpRatio: 2 } as const;
const SWIN = { imgSize: 32, patchSize: 4, embedDim: 16, depths: [2, 2], numHeads: [2, 4], windowSize: 4, dropPathRate: 0 };

/** Random BN statistics and affine parameters, so that a misplaced BN tensor shows. */
function jitter(model: torch.nn.AnyModule, seed: number): void {
  torch.manualSeed(seed);
  torch.noGrad(() => {
    for (const [k, t] of Object.entries(model.stateDict())) {
      if (k.endsWith('running_var')) t.uniform_(0.5, 1.5);
      else if (k.endsWith('running_mean') || /(bn\d|downsample\.1)\.(weight|bias)$/.test(k)) t.normal_(0, 0.1);
      if (/bn\d\.weight|downsample\.1\.weight/.test(k)) t.add_(1);
    }
  });
}

function ours<T extends torch.nn.AnyModule>(m: T, seed: number): T {
  jitter(m, seed);
  m.to('float64');
  m.eval();
  return m;
}

// ---- our side, before Python: models saved in our names and converted to the others' ----
torch.manualSeed(0);
const x64 = torch.randn([1, 3, 64, 64], { dtype: 'float64' });
const x32 = torch.randn([1, 3, 32, 32], { dtype: 'float64' });
torch.save({ x64, x32 }, f('x.pth'));

const our = {
  r18: ours(new ResNet({ depth: 18 }), 1),
  r50: ours(new ResNet({ depth: 50 }), 2),
  vit: ours(new VisionTransformer(VIT), 3),
  vitLs: ours(new VisionTransformer({ ...VIT, layerScaleInit: 0.5, maskToken: true }), 4),
  swin: ours(new SwinTransformer({ ...SWIN, maskToken: true }), 5),
};
// Layer scale and the mask token are random too, so that they matter.
torch.noGrad(() => {
  torch.manualSeed(6);
  for (const [k, t] of Object.entries(our.vitLs.stateDict())) if (/gamma|mask_token/.test(k)) t.normal_(0, 0.5);
});
for (const [name, m] of Object.entries(our)) torch.save(m.stateDict(), f(`ours_${name}.pth`));

const conversions = {
  r18_tv: convertFile(f('ours_r18.pth'), f('ours_r18_tv.pth'), { to: 'torchvision' }),
  r50_tv: convertFile(f('ours_r50.pth'), f('ours_r50_tv.safetensors'), { to: 'torchvision' }),
  vit_tv: convertFile(f('ours_vit.pth'), f('ours_vit_tv.pth'), { to: 'torchvision' }),
  vitLs_timm: convertFile(f('ours_vitLs.pth'), f('ours_vitLs_timm.pth'), { to: 'timm', from: 'selfsup' }),
  vitLs_mm: convertFile(f('ours_vitLs.pth'), f('ours_vitLs_mm.pth'), { to: 'mmpretrain', from: 'selfsup' }),
  swin_tv: convertFile(f('ours_swin.pth'), f('ours_swin_tv.pth'), { to: 'torchvision', from: 'selfsup' }),
  swin_mm: convertFile(f('ours_swin.pth'), f('ours_swin_mm.pth'), { to: 'mmselfsup', from: 'selfsup' }),
};

const feats = torch.noGrad(() => ({
  r18: our.r18.forwardFeatures(x64),
  r50: our.r50.forwardFeatures(x64),
  vit: our.vit.forward(x32)[0],
  vitLs: our.vitLs.forward(x32)[0],
  swin: our.swin.forward(x32)[0],
}));

// ---- Python: the reference models, and ours loaded strictly into them ----
type Ref = Record<string, number[]>;
const R = py<{ feats: Ref; loaded: Ref; d2Keys: string[]; timmSwinKeys: string[] }>(
  `
import torch.nn as nn
from torchvision.models import resnet18, resnet50
from torchvision.models.vision_transformer import VisionTransformer as TVViT
from torchvision.models.swin_transformer import SwinTransformer as TVSwin
${SWIN_REF}
torch.set_default_dtype(torch.float64)
d = D['dir']
X = torch.load(d + '/x.pth')
x64, x32 = X['x64'], X['x32']

def jitter(m, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.1)
                mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
                mod.weight.copy_(1 + torch.randn(mod.num_features, generator=g) * 0.1)
                mod.bias.copy_(torch.randn(mod.num_features, generator=g) * 0.1)
    return m.eval()

def resnet_feats(m, x):
    return nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3, m.layer4)(x)
def tvvit_feats(m, x):
    t = m._process_input(x)
    return m.encoder(torch.cat([m.class_token.expand(t.shape[0], -1, -1), t], 1))[:, 0]
def tvswin_feats(m, x):
    return m.norm(m.features(x)).permute(0, 3, 1, 2)

# A timm-named ViT (timm's VisionTransformer with num_classes=0, init_values for layer scale).
class LS(nn.Module):
    def __init__(s, d): super().__init__(); s.gamma = nn.Parameter(torch.ones(d))
    def forward(s, x): return x * s.gamma
class TAttn(nn.Module):
    def __init__(s, d, h): super().__init__(); s.h = h; s.qkv = nn.Linear(d, 3 * d); s.proj = nn.Linear(d, d)
    def forward(s, x):
        B, N, C = x.shape
        q, k, v = s.qkv(x).reshape(B, N, 3, s.h, C // s.h).permute(2, 0, 3, 1, 4)
        a = ((q * (C // s.h) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        return s.proj((a @ v).transpose(1, 2).reshape(B, N, C))
class TMlp(nn.Module):
    def __init__(s, d, h): super().__init__(); s.fc1 = nn.Linear(d, h); s.fc2 = nn.Linear(h, d)
    def forward(s, x): return s.fc2(nn.functional.gelu(s.fc1(x)))
class TBlock(nn.Module):
    def __init__(s, d, h, r):
        super().__init__()
        s.norm1 = nn.LayerNorm(d, eps=1e-6); s.attn = TAttn(d, h); s.ls1 = LS(d)
        s.norm2 = nn.LayerNorm(d, eps=1e-6); s.mlp = TMlp(d, d * r); s.ls2 = LS(d)
    def forward(s, x):
        x = x + s.ls1(s.attn(s.norm1(x)))
        return x + s.ls2(s.mlp(s.norm2(x)))
class PE(nn.Module):
    def __init__(s, d, p): super().__init__(); s.proj = nn.Conv2d(3, d, p, p)
class TimmViT(nn.Module):
    def __init__(s, img, p, d, depth, h, r):
        super().__init__()
        s.patch_embed = PE(d, p)
        s.cls_token = nn.Parameter(torch.zeros(1, 1, d)); s.pos_embed = nn.Parameter(torch.zeros(1, 1 + (img // p) ** 2, d))
        s.blocks = nn.Sequential(*[TBlock(d, h, r) for _ in range(depth)]); s.norm = nn.LayerNorm(d, eps=1e-6)
    def forward(s, x):
        t = s.patch_embed.proj(x).flatten(2).transpose(1, 2)
        t = torch.cat([s.cls_token.expand(t.shape[0], -1, -1), t], 1) + s.pos_embed
        return s.norm(s.blocks(t))[:, 0]

# The same ViT with mmpretrain's names (its VisionTransformer backbone, layer_scale_init_value set).
class MLS(nn.Module):
    def __init__(s, d): super().__init__(); s.weight = nn.Parameter(torch.ones(d))
class MAttn(TAttn):
    def __init__(s, d, h): super().__init__(d, h); s.gamma1 = MLS(d)
class MFfn(nn.Module):
    def __init__(s, d, h):
        super().__init__(); s.layers = nn.Sequential(nn.Sequential(nn.Linear(d, h), nn.GELU(), nn.Dropout(0)), nn.Linear(h, d), nn.Dropout(0)); s.gamma2 = MLS(d)
class MLayer(nn.Module):
    def __init__(s, d, h, r):
        super().__init__(); s.ln1 = nn.LayerNorm(d, eps=1e-6); s.attn = MAttn(d, h); s.ln2 = nn.LayerNorm(d, eps=1e-6); s.ffn = MFfn(d, d * r)
    def forward(s, x):
        x = x + s.attn(s.ln1(x)) * s.attn.gamma1.weight
        return x + s.ffn.layers(s.ln2(x)) * s.ffn.gamma2.weight
class MPE(nn.Module):
    def __init__(s, d, p): super().__init__(); s.projection = nn.Conv2d(3, d, p, p)
class MMViT(nn.Module):
    def __init__(s, img, p, d, depth, h, r):
        super().__init__()
        s.patch_embed = MPE(d, p); s.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        s.pos_embed = nn.Parameter(torch.zeros(1, 1 + (img // p) ** 2, d)); s.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        s.layers = nn.Sequential(*[MLayer(d, h, r) for _ in range(depth)]); s.ln1 = nn.LayerNorm(d, eps=1e-6)
    def forward(s, x):
        t = s.patch_embed.projection(x).flatten(2).transpose(1, 2)
        t = torch.cat([s.cls_token.expand(t.shape[0], -1, -1), t], 1) + s.pos_embed
        return s.ln1(s.layers(t))[:, 0]

def backbone_of(ckpt):
    assert 'meta' in ckpt, 'mm checkpoint without meta'
    return {k[len('backbone.'):]: v for k, v in ckpt['state_dict'].items() if k.startswith('backbone.')}
def load_any(path):
    if path.endswith('.safetensors'):
        from json import loads
        import struct
        b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = loads(b[8:8 + n]); out = {}
        for k, e in h.items():
            if k == '__metadata__': continue
            s, t = e['data_offsets']
            out[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + t]), dtype={'F64': torch.float64, 'I64': torch.int64}[e['dtype']]).reshape(e['shape'])
        return out
    return torch.load(path)

def make(kind):
    if kind == 'r18': return jitter(resnet18(), 11)
    if kind == 'r50': return jitter(resnet50(), 12)
    if kind == 'vit': return TVViT(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64).eval()
    if kind == 'swin': return TVSwin(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4], num_classes=10).eval()
FEAT = {'r18': (resnet_feats, x64), 'r50': (resnet_feats, x64), 'vit': (tvvit_feats, x32), 'swin': (tvswin_feats, x32)}

feats, loaded = {}, {}
with torch.no_grad():
    for i, kind in enumerate(['r18', 'r50', 'vit', 'swin']):
        torch.manual_seed(100 + i)
        m = make(kind)
        if kind == 'swin':
            for n, p in m.named_parameters():
                if 'relative_position_bias_table' in n: p.normal_(0, 0.5)
        torch.save(m.state_dict(), d + '/tv_' + kind + '.pth')
        fn, x = FEAT[kind]
        feats[kind] = fn(m, x)
        # ours → torchvision: strict load into a fresh torchvision backbone (its classifier an Identity).
        m2 = make(kind)
        setattr(m2, {'r18': 'fc', 'r50': 'fc', 'vit': 'heads', 'swin': 'head'}[kind], nn.Identity())
        path = d + '/ours_' + kind + ('_tv.safetensors' if kind == 'r50' else '_tv.pth')
        m2.load_state_dict(load_any(path), strict=True)
        loaded[kind + '_tv'] = fn(m2, x)
    t = TimmViT(32, 8, 32, 2, 2, 2).eval(); t.load_state_dict(torch.load(d + '/ours_vitLs_timm.pth'), strict=True)
    loaded['vitLs_timm'] = t(x32)
    mm = MMViT(32, 8, 32, 2, 2, 2).eval(); mm.load_state_dict(backbone_of(torch.load(d + '/ours_vitLs_mm.pth')), strict=True)
    loaded['vitLs_mm'] = mm(x32)
    sw = Swin(16, [2, 2], [2, 4], 4, 4, [1]).eval(); sw.load_state_dict(backbone_of(torch.load(d + '/ours_swin_mm.pth')), strict=True)
    loaded['swin_mm'] = sw(x32)[0]

    # detectron2's names for torchvision's ResNet-50, by its convert-torchvision-to-detectron2.py rules;
    # FrozenBatchNorm2d has no num_batches_tracked and the classifier is not part of the backbone.
    tv = torch.load(d + '/tv_r50.pth'); d2 = {}
    for k, v in tv.items():
        if k.startswith('fc.') or k.endswith('num_batches_tracked'): continue
        n = k if 'layer' in k else 'stem.' + k
        for i in range(1, 5): n = n.replace('layer%d' % i, 'res%d' % (i + 1))
        for i in range(1, 4): n = n.replace('bn%d' % i, 'conv%d.norm' % i)
        n = n.replace('downsample.0', 'shortcut').replace('downsample.1', 'shortcut.norm')
        d2[n] = v
    torch.save({'model': d2, '__author__': 'torchvision', 'matching_heuristics': True}, d + '/d2_ref.pth')

    # timm's (>= 0.9) names for torchvision's Swin: patch_embed, layers.s.blocks, the patch merging at
    # the start of the next stage, mlp.fc1/fc2; timm keeps relative_position_index out of its state dict.
    sv = torch.load(d + '/tv_swin.pth'); ts = {}
    for k, v in sv.items():
        p = k.split('.')
        if p[0] == 'head' or k.endswith('relative_position_index'): continue
        if p[0] == 'norm': n = k
        elif p[:2] == ['features', '0']: n = {'0': 'patch_embed.proj', '2': 'patch_embed.norm'}[p[2]] + '.' + p[3]
        elif int(p[1]) % 2 == 1: n = 'layers.%d.blocks.%s.' % ((int(p[1]) - 1) // 2, p[2]) + '.'.join(p[3:]).replace('mlp.0', 'mlp.fc1').replace('mlp.3', 'mlp.fc2')
        else: n = 'layers.%d.downsample.' % (int(p[1]) // 2) + '.'.join(p[2:])
        ts[n] = v
    torch.save(ts, d + '/timm_swin_ref.pth')

OUT = {'feats': {k: v.flatten() for k, v in feats.items()}, 'loaded': {k: v.flatten() for k, v in loaded.items()},
       'd2Keys': sorted(d2), 'timmSwinKeys': sorted(ts)}
`,
  { dir },
);

// ---- our side, after Python ----
function within(actual: Tensor, expected: number[], what: string, tol = TOL): void {
  const flat = actual.flatten();
  const e = torch.tensor(expected, { dtype: 'float64' });
  assert.deepEqual(flat.shape, e.shape, `${what}: ${flat.numel()} values vs ${expected.length}`);
  const scale = Math.max(1, ...expected.map(Math.abs));
  const diff = maxAbsDiff(flat, e, what);
  assert.ok(diff <= tol * scale, `${what}: max |diff| ${diff} (scale ${scale})`);
}

const fresh: Record<'r18' | 'r50' | 'vit' | 'swin', () => ResNet | VisionTransformer | SwinTransformer> = {
  r18: () => new ResNet({ depth: 18 }).to('float64').eval(),
  r50: () => new ResNet({ depth: 50 }).to('float64').eval(),
  vit: () => new VisionTransformer(VIT).to('float64').eval(),
  swin: () => new SwinTransformer({ ...SWIN, maskToken: false }).to('float64').eval(),
};

function loadOurs(make: () => ResNet | VisionTransformer | SwinTransformer, path: string) {
  const m = make();
  loadBackboneWeights(m, torch.load(path));
  return m;
}

for (const kind of ['r18', 'r50', 'vit', 'swin'] as const) {
  test(`torchvision ${kind} → selfsup: our features equal torchvision's`, () => {
    const r = convertFile(f(`tv_${kind}.pth`), f(`tv_${kind}_ours.pth`), { to: 'selfsup' });
    assert.equal(r.from, 'torchvision');
    assert.equal(r.arch, kind.startsWith('r') ? 'resnet' : kind);
    // The classifier (fc / heads / head) is not the backbone's and is dropped.
    assert.ok(r.droppedNonBackbone >= 2, `dropped ${r.droppedNonBackbone}`);
    const m = loadOurs(fresh[kind], f(`tv_${kind}_ours.pth`));
    const x = kind.startsWith('r') ? x64 : x32;
    const out = torch.noGrad(() => (kind.startsWith('r') ? m.forwardFeatures(x) : m.forward(x)[0]));
    within(out, R.feats[kind], `${kind} from torchvision`);
  });
}

for (const [name, key] of [
  ['r18', 'r18_tv'],
  ['r50', 'r50_tv'],
  ['vit', 'vit_tv'],
  ['swin', 'swin_tv'],
  ['vitLs', 'vitLs_timm'],
  ['vitLs', 'vitLs_mm'],
  ['swin', 'swin_mm'],
] as const) {
  test(`selfsup ${name} → ${key.split('_')[1]}: loads strictly in Python and gives our features`, () => {
    within(feats[name], R.loaded[key], key);
  });
}

test('what each conversion left out: the mask token for torchvision/timm, nothing for mmpretrain', () => {
  assert.deepEqual(conversions.swin_tv.leftOut, ['mask_token']);
  assert.deepEqual(conversions.vitLs_timm.leftOut, ['mask_token']);
  assert.deepEqual(conversions.vitLs_mm.leftOut, []);
  assert.deepEqual(conversions.swin_mm.leftOut, []);
  assert.equal(conversions.r18_tv.tensors, Object.keys(our.r18.stateDict()).length);
});

test('layer scale has no torchvision name: converting it says which keys', () => {
  assert.throws(
    () => convertFile(f('ours_vitLs.pth'), f('never.pth'), { to: 'torchvision' }),
    /torchvision has no names for these keys: blocks\.0\.ls1\.gamma/,
  );
});

test('detectron2: keys, shapes and values match names derived by its own rules; converted back, torchvision features', () => {
  const r = convertFile(f('tv_r50.pth'), f('r50_d2.pth'), { to: 'detectron2' });
  const got = torch.load(f('r50_d2.pth')) as { model: Record<string, Tensor>; __author__: string; matching_heuristics: boolean };
  assert.equal(got.matching_heuristics, true);
  assert.equal(typeof got.__author__, 'string');
  assert.deepEqual(Object.keys(got.model).sort(), R.d2Keys);
  const ref = torch.load(f('d2_ref.pth')) as { model: Record<string, Tensor> };
  for (const k of R.d2Keys) assert.ok(got.model[k].equal(ref.model[k]), `${k} differs from detectron2's`);
  assert.ok(r.leftOut.every((k) => k.endsWith('num_batches_tracked')) && r.leftOut.length > 0);
  // And detectron2's file read back gives torchvision's tensors (FrozenBN names; batch counters restored as 0).
  const back = convertFile(f('d2_ref.pth'), f('d2_ours.safetensors'), { to: 'selfsup' });
  assert.equal(back.from, 'detectron2');
  const tv = torch.load(f('tv_r50.pth')) as Record<string, Tensor>;
  const mine = torch.load(f('d2_ours.safetensors')) as Record<string, Tensor>;
  const backbone = Object.keys(tv).filter((k) => !k.startsWith('fc.'));
  assert.deepEqual(Object.keys(mine).sort(), backbone.sort());
  for (const k of backbone) {
    if (k.endsWith('num_batches_tracked')) assert.equal(mine[k].item(), 0, k);
    else assert.ok(mine[k].equal(tv[k]), `${k} differs from torchvision's`);
  }
});

test("timm Swin: torchvision's Swin through ours gives timm's names and values (patch merging reordered back)", () => {
  convertFile(f('tv_swin.pth'), f('swin_timm.pth'), { to: 'timm' });
  const got = torch.load(f('swin_timm.pth')) as Record<string, Tensor>;
  assert.deepEqual(Object.keys(got).sort(), R.timmSwinKeys);
  const ref = torch.load(f('timm_swin_ref.pth')) as Record<string, Tensor>;
  for (const k of R.timmSwinKeys) assert.ok(got[k].equal(ref[k]), `${k} differs from timm's`);
  // timm's names read back (relative position index regenerated) give torchvision's features.
  const back = convertFile(f('timm_swin_ref.pth'), f('timm_swin_ours.pth'), { to: 'selfsup' });
  assert.equal(back.from, 'timm');
  const m = loadOurs(fresh.swin, f('timm_swin_ours.pth'));
  within(
    torch.noGrad(() => m.forward(x32)[0]),
    R.feats.swin,
    'swin from timm',
  );
});

test('mmselfsup → torchvision ResNet: backbone. keys unwrapped from { meta, state_dict }, the neck counted and dropped', () => {
  const sd = torch.load(f('tv_r18.pth')) as Record<string, Tensor>;
  const wrapped: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(sd)) if (!k.startsWith('fc.')) wrapped[`backbone.${k}`] = v;
  wrapped['neck.mlp.0.weight'] = torch.zeros([4, 512], { dtype: 'float64' });
  wrapped['neck.mlp.0.bias'] = torch.zeros([4], { dtype: 'float64' });
  torch.save({ meta: { epoch: 1 }, state_dict: wrapped }, f('mm_r18.pth'));
  const r = convertFile(f('mm_r18.pth'), f('mm_r18_tv.pth'), { to: 'torchvision' });
  assert.equal(r.from, 'mmselfsup');
  assert.equal(r.droppedNonBackbone, 2);
  const m = loadOurs(fresh.r18, f('mm_r18_tv.pth'));
  within(
    torch.noGrad(() => m.forwardFeatures(x64)),
    R.feats.r18,
    'r18 via mmselfsup',
  );
  // mmselfsup → mmpretrain keeps the neck as it is.
  const kept = convertFile(f('mm_r18.pth'), f('mm_r18_mmpre.pth'), { to: 'mmpretrain' });
  assert.equal(kept.keptNonBackbone, 2);
  const ck = torch.load(f('mm_r18_mmpre.pth')) as { state_dict: Record<string, Tensor> };
  assert.ok('neck.mlp.0.weight' in ck.state_dict && 'backbone.layer4.1.bn2.running_var' in ck.state_dict);
});
