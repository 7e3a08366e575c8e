/**
 * An MMSelfSup 1.x MAE ViT-B/16 checkpoint, made in Python with MMSelfSup's key names
 * (`backbone.layers.0.ln1.weight`, `backbone.patch_embed.projection.weight`, `backbone.ln1.*`,
 * `neck.decoder_blocks.0.ffn.layers.0.0.*`, …, wrapped in `state_dict` and `meta`), loads into
 * selfsup's MAEViT through `loadBackboneWeights` (what `--weights` uses) and reproduces the Python
 * encoder's class-token features; the neck's keys are left out.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { loadBackboneWeights } from '../../../src/models/backbones/load.js';
import { BACKBONES } from '../../../src/models/registries.js';
import { py } from '../../helpers.js';
import '../../../src/builtins.js';

test('an MMSelfSup MAE ViT-B/16 checkpoint loads via --weights’ path and gives the Python encoder’s features', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-mmmae-'));
  const ckpt = join(dir, 'mae_vit-base-p16.pth');
  const images = join(dir, 'x.pth');
  const threads = torch.getNumThreads();
  try {
    const ref = py<{ cls: number[][]; neckKeys: number }>(
      `
import torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
D_, H_, L_ = 768, 12, 12
class Attn(nn.Module):
    def __init__(s):
        super().__init__(); s.qkv = nn.Linear(D_, 3 * D_); s.proj = nn.Linear(D_, D_)
    def forward(s, x):
        B, N, C = x.shape
        q, k, v = s.qkv(x).reshape(B, N, 3, H_, C // H_).permute(2, 0, 3, 1, 4).unbind(0)
        return s.proj(((q @ k.transpose(-2, -1)) * (C // H_) ** -0.5).softmax(-1).matmul(v).transpose(1, 2).reshape(B, N, C))
class FFN(nn.Module):
    def __init__(s):
        super().__init__(); s.layers = nn.Sequential(nn.Sequential(nn.Linear(D_, 4 * D_), nn.GELU()), nn.Linear(4 * D_, D_))
    def forward(s, x): return s.layers(x)
class Layer(nn.Module):
    """mmcls's TransformerEncoderLayer: ln1 → attn, ln2 → ffn (pre-norm residuals)."""
    def __init__(s):
        super().__init__(); s.ln1 = nn.LayerNorm(D_, eps=1e-6); s.attn = Attn(); s.ln2 = nn.LayerNorm(D_, eps=1e-6); s.ffn = FFN()
    def forward(s, x):
        x = x + s.attn(s.ln1(x)); return x + s.ffn(s.ln2(x))
class PE(nn.Module):
    def __init__(s):
        super().__init__(); s.projection = nn.Conv2d(3, D_, 16, 16)
class MAEViT(nn.Module):
    def __init__(s):
        super().__init__()
        s.cls_token = nn.Parameter(torch.randn(1, 1, D_) * .02); s.pos_embed = nn.Parameter(torch.randn(1, 197, D_) * .02)
        s.patch_embed = PE(); s.layers = nn.ModuleList([Layer() for _ in range(L_)]); s.ln1 = nn.LayerNorm(D_, eps=1e-6)
        for p in s.parameters():
            with torch.no_grad(): p.add_(torch.randn_like(p) * 0.02)
    def forward(s, x):
        x = s.patch_embed.projection(x).flatten(2).transpose(1, 2)
        x = torch.cat([s.cls_token.expand(x.shape[0], -1, -1), x], 1) + s.pos_embed
        for l in s.layers: x = l(x)
        return s.ln1(x)[:, 0]
m = MAEViT().eval()
sd = {f'backbone.{k}': v for k, v in m.state_dict().items()}
# An MMSelfSup decoder's keys sit beside the backbone's in the checkpoint.
neck = {'neck.mask_token': torch.zeros(1, 1, 512), 'neck.decoder_blocks.0.ln1.weight': torch.ones(512),
        'neck.decoder_blocks.0.ffn.layers.0.0.weight': torch.zeros(2048, 512), 'neck.ln1.weight': torch.ones(512)}
sd.update(neck)
torch.save({'meta': {'mmselfsup_version': '1.0.0'}, 'state_dict': sd}, D['ckpt'])
x = torch.randn(2, 3, 224, 224)
torch.save({'x': x}, D['images'])
with torch.no_grad():
    OUT = {'cls': m(x), 'neckKeys': len(neck)}`,
      { ckpt, images },
    );
    torch.setNumThreads(threads);
    const vit = BACKBONES.build({ type: 'MAEViT', arch: 'base', patchSize: 16 });
    vit.eval();
    const res = loadBackboneWeights(vit, torch.load(ckpt, { unknownGlobals: 'inert' }));
    assert.deepEqual(res.missingKeys, [], 'every encoder weight came from the checkpoint');
    // The backbone's keys are those under `backbone.`: the decoder's stay behind with their prefix.
    assert.deepEqual(res.unexpectedKeys, [], `nothing but encoder weights taken (the ${ref.neckKeys} neck keys left out)`);
    torch.tidy(() => {
      const x = (torch.load(images) as { x: torch.Tensor }).x;
      const [cls] = torch.noGrad(() => vit.forward(x));
      const want = torch.tensor(ref.cls);
      const diff = cls.sub(want).abs().max().item();
      assert.ok(diff < 1e-4, `class-token features differ by ${diff}`);
    });
    vit.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
