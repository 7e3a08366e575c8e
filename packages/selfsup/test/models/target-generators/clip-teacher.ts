/**
 * Seeded random CLIP teachers for tests (nothing is downloaded): a `CLIPVisionTransformer` of the
 * given (tiny) size with Gaussian weights, saved as OpenAI's full-CLIP state dict would be (`visual.*`
 * keys plus a few text-tower keys the generator must ignore). `PY_CLIP` restates CLIP's image tower
 * in PyTorch (explicit attention, QuickGELU) under MMSelfSup's `target_generator.tokenizer.visual.*` keys.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '@selfsup/torch';
import { CLIPVisionTransformer } from '../../../src/models/target-generators/clip-generator.js';

export interface ClipArch {
  imgSize: number;
  patchSize: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  outputDim: number;
}

/** Writes a seeded random CLIP (image tower of `arch`) to `file` (default: a new temp `.pth`) and returns the path. */
export function writeRandomClip(arch: ClipArch, seed = 0, file?: string): string {
  const path = file ?? join(mkdtempSync(join(tmpdir(), 'selfsup-clip-')), 'clip.pth');
  const v = new CLIPVisionTransformer(arch.imgSize, arch.patchSize, arch.embedDim, arch.depth, arch.numHeads, arch.outputDim);
  const g = new torch.Generator().manualSeed(seed);
  const sd: Record<string, torch.Tensor> = {};
  torch.noGrad(() => {
    for (const [k, p] of Object.entries(v.stateDict())) {
      // LayerNorm scales near 1 (else the features collapse), everything else O(0.3).
      const isNormWeight = /(^|\.)ln_[a-z0-9]+\.weight$/.test(k);
      const r = torch.randn(p.shape, { generator: g });
      sd[`visual.${k}`] = isNormWeight ? r.mul(0.1).add(1) : r.mul(0.3);
      r.dispose();
    }
    // Text-tower keys, as in OpenAI's release: not the teacher's, to be ignored.
    sd.text_projection = torch.randn([8, arch.outputDim], { generator: g });
    sd['token_embedding.weight'] = torch.randn([10, 8], { generator: g });
  });
  torch.save(sd, path);
  for (const t of Object.values(sd)) t.dispose();
  v.dispose();
  return path;
}

/** CLIP's image tower restated (after PY_COMMON or the testing prelude): `ClipGenerator(img, p, d, depth, h, out)`. */
export const PY_CLIP = `
import math
import torch.nn as nn
import torch.nn.functional as F

class ClipBlock(nn.Module):
    def __init__(self, d, h):
        super().__init__(); self.h = h
        self.ln_1 = nn.LayerNorm(d); self.ln_2 = nn.LayerNorm(d)
        self.attn = nn.Module()
        self.attn.in_proj_weight = nn.Parameter(torch.zeros(3 * d, d))
        self.attn.in_proj_bias = nn.Parameter(torch.zeros(3 * d))
        self.attn.out_proj = nn.Linear(d, d)
        self.mlp = nn.Module(); self.mlp.c_fc = nn.Linear(d, 4 * d); self.mlp.c_proj = nn.Linear(4 * d, d)
    def forward(self, x):
        h = self.ln_1(x); N, L, D = h.shape
        q, k, v = F.linear(h, self.attn.in_proj_weight, self.attn.in_proj_bias).reshape(N, L, 3, self.h, D // self.h).permute(2, 0, 3, 1, 4)
        a = ((q @ k.transpose(-2, -1)) / math.sqrt(D // self.h)).softmax(-1)
        x = x + self.attn.out_proj((a @ v).transpose(1, 2).reshape(N, L, D))
        m = self.mlp.c_fc(self.ln_2(x))
        return x + self.mlp.c_proj(m * torch.sigmoid(1.702 * m)), a.mean(1)

class ClipVisual(nn.Module):
    def __init__(self, img, p, d, depth, h, out):
        super().__init__()
        self.conv1 = nn.Conv2d(3, d, p, p, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(d))
        self.positional_embedding = nn.Parameter(torch.zeros((img // p) ** 2 + 1, d))
        self.ln_pre = nn.LayerNorm(d)
        self.transformer = nn.Module()
        self.transformer.resblocks = nn.ModuleList([ClipBlock(d, h) for _ in range(depth)])
        self.ln_post = nn.LayerNorm(d)
        self.proj = nn.Parameter(torch.zeros(d, out))
    def forward(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], 1) + self.positional_embedding
        x = self.ln_pre(x)
        for b in self.transformer.resblocks:
            x, a = b(x)
        return self.ln_post(x) @ self.proj, a

class ClipGenerator(nn.Module):
    def __init__(self, *arch):
        super().__init__()
        self.tokenizer = nn.Module(); self.tokenizer.visual = ClipVisual(*arch)
        self.requires_grad_(False)
    @torch.no_grad()
    def forward(self, x):
        return self.tokenizer.visual(x)
`;
