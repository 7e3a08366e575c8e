/**
 * A timm-style Vision Transformer in plain PyTorch (timm's parameter names: `cls_token`, `pos_embed`,
 * `patch_embed.proj`, `blocks.i.{norm1,attn.qkv,attn.proj,ls1.gamma,norm2,mlp.fc1,mlp.fc2,ls2.gamma}`,
 * `norm`), written independently of selfsup's, with MAE's random masking and the mmcls key mapping.
 * Used by the ViT backbone test and the SimMIM parity test. `ViT(d, depth, heads, patch, img, ls)`;
 * `forward_features(x, mask=None)` → all tokens after the final norm (a mask needs `mask_token` set).
 */
export const VIT_REF = `
import re
import numpy as np
import torch.nn as nn
import torch.nn.functional as F
from collections import OrderedDict
class LayerScale(nn.Module):
    def __init__(self, d, v):
        super().__init__(); self.gamma = nn.Parameter(v * torch.ones(d))
    def forward(self, x): return x * self.gamma
class Attention(nn.Module):
    def __init__(self, d, h, qkv_bias):
        super().__init__(); self.h = h
        self.qkv = nn.Linear(d, 3 * d, bias=qkv_bias); self.proj = nn.Linear(d, d)
    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.h, C // self.h).permute(2, 0, 3, 1, 4).unbind(0)
        a = (q @ k.transpose(-2, -1)) * (C // self.h) ** -0.5
        return self.proj((a.softmax(-1) @ v).transpose(1, 2).reshape(B, N, C))
class Mlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__(); self.fc1 = nn.Linear(d, hidden); self.act = nn.GELU(); self.fc2 = nn.Linear(hidden, d)
    def forward(self, x): return self.fc2(self.act(self.fc1(x)))
class Block(nn.Module):
    def __init__(self, d, h, ls):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6); self.attn = Attention(d, h, True); self.ls1 = LayerScale(d, ls)
        self.norm2 = nn.LayerNorm(d, eps=1e-6); self.mlp = Mlp(d, 4 * d); self.ls2 = LayerScale(d, ls)
    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))
class PatchEmbed(nn.Module):
    def __init__(self, p, d):
        super().__init__(); self.proj = nn.Conv2d(3, d, p, p)
    def forward(self, x): return self.proj(x).flatten(2).transpose(1, 2)
class ViT(nn.Module):
    def __init__(self, d, depth, h, p, img, ls):
        super().__init__(); self.p = p; self.g = img // p
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.g * self.g, d))
        self.patch_embed = PatchEmbed(p, d)
        self.blocks = nn.Sequential(*[Block(d, h, ls) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=1e-6)
    def pos(self, gh, gw):
        if (gh, gw) == (self.g, self.g): return self.pos_embed
        grid = self.pos_embed[:, 1:].reshape(1, self.g, self.g, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(gh, gw), mode='bicubic', align_corners=False)
        return torch.cat([self.pos_embed[:, :1], grid.flatten(2).transpose(1, 2)], 1)
    def embed(self, x, mask=None):
        t = self.patch_embed(x)
        if mask is not None:
            w = mask.flatten(1).unsqueeze(-1).float(); t = t * (1 - w) + self.mask_token * w
        t = torch.cat([self.cls_token.expand(t.shape[0], -1, -1), t], 1)
        return t + self.pos(x.shape[2] // self.p, x.shape[3] // self.p)
    def forward_features(self, x, mask=None): return self.norm(self.blocks(self.embed(x, mask)))
def randomize(m):
    with torch.no_grad():
        for n, p in m.named_parameters():
            if 'norm' in n and n.endswith('weight'): p.uniform_(0.5, 1.5)
            else: p.normal_(0, 0.2)
def mae(m, x, ratio, seed):
    torch.manual_seed(seed)
    t = m.patch_embed(x) + m.pos_embed[:, 1:]
    N, L, C = t.shape
    keep = int(L * (1 - ratio))
    noise = torch.rand(N, L)
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    vis = torch.gather(t, 1, ids_shuffle[:, :keep].unsqueeze(-1).repeat(1, 1, C))
    mask = torch.ones(N, L); mask[:, :keep] = 0
    mask = torch.gather(mask, 1, ids_restore)
    cls = (m.cls_token + m.pos_embed[:, :1]).expand(N, -1, -1)
    return m.norm(m.blocks(torch.cat([cls, vis], 1))), mask, ids_restore
def to_mmcls(k):
    rules = [(r'^patch_embed\\.proj\\.', 'patch_embed.projection.'), (r'^blocks\\.(\\d+)\\.norm1\\.', r'layers.\\1.ln1.'),
             (r'^blocks\\.(\\d+)\\.norm2\\.', r'layers.\\1.ln2.'), (r'^blocks\\.(\\d+)\\.ls1\\.gamma$', r'layers.\\1.attn.gamma1.weight'),
             (r'^blocks\\.(\\d+)\\.ls2\\.gamma$', r'layers.\\1.ffn.gamma2.weight'), (r'^blocks\\.(\\d+)\\.mlp\\.fc1\\.', r'layers.\\1.ffn.layers.0.0.'),
             (r'^blocks\\.(\\d+)\\.mlp\\.fc2\\.', r'layers.\\1.ffn.layers.1.'), (r'^blocks\\.(\\d+)\\.attn\\.', r'layers.\\1.attn.'),
             (r'^norm\\.', 'ln1.')]
    for a, b in rules:
        if re.search(a, k): return re.sub(a, b, k)
    return k
`;
