"""A timm-style MAE (He et al. 2022) in plain PyTorch for bench/mae_step.py: the official release's
structure (ViT encoder on the visible 25 % of patches, fixed sine-cosine tables, decoder, normalised
pixel MSE). Attention uses F.scaled_dot_product_attention where this PyTorch has it (timm's fused
path) and the composite softmax(q·kᵀ/√d)·v otherwise (Debian's 1.13), as selfsup does."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        if hasattr(F, 'scaled_dot_product_attention'):
            o = F.scaled_dot_product_attention(q, k, v)
        else:
            o = (q @ k.transpose(-2, -1) * (C // self.heads) ** -0.5).softmax(-1) @ v
        return self.proj(o.transpose(1, 2).reshape(B, N, C))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def sincos(dim, grid):
    omega = 1.0 / 10000 ** (torch.arange(dim // 4, dtype=torch.float64) / (dim / 4))
    ys, xs = torch.meshgrid(torch.arange(grid, dtype=torch.float64), torch.arange(grid, dtype=torch.float64), indexing='ij')
    ex, ey = xs.reshape(-1, 1) * omega, ys.reshape(-1, 1) * omega
    emb = torch.cat([ex.sin(), ex.cos(), ey.sin(), ey.cos()], 1).float()
    return torch.cat([torch.zeros(1, dim), emb]).unsqueeze(0)


class MAE(nn.Module):
    def __init__(self, img=32, patch=4, dim=192, depth=12, heads=3, ddim=128, ddepth=2, dheads=4, ratio=0.75):
        super().__init__()
        self.patch, self.ratio = patch, ratio
        grid = img // patch
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(sincos(dim, grid), requires_grad=False)
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.decoder_embed = nn.Linear(dim, ddim)
        self.mask_token = nn.Parameter(torch.randn(1, 1, ddim) * 0.02)
        self.decoder_pos_embed = nn.Parameter(sincos(ddim, grid), requires_grad=False)
        self.decoder_blocks = nn.ModuleList([Block(ddim, dheads) for _ in range(ddepth)])
        self.decoder_norm = nn.LayerNorm(ddim, eps=1e-6)
        self.decoder_pred = nn.Linear(ddim, patch * patch * 3)

    def patchify(self, imgs):
        n, c, h, w = imgs.shape
        p = self.patch
        x = imgs.reshape(n, c, h // p, p, w // p, p)
        return torch.einsum('nchpwq->nhwpqc', x).reshape(n, (h // p) * (w // p), p * p * c)

    def forward(self, imgs):
        x = self.patch_embed(imgs).flatten(2).transpose(1, 2) + self.pos_embed[:, 1:]
        N, L, D = x.shape
        keep = int(L * (1 - self.ratio))
        ids_shuffle = torch.argsort(torch.rand(N, L, device=x.device), dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        x = torch.gather(x, 1, ids_shuffle[:, :keep].unsqueeze(-1).expand(-1, -1, D))
        mask = torch.ones(N, L, device=x.device)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        x = torch.cat([(self.cls_token + self.pos_embed[:, :1]).expand(N, -1, -1), x], 1)
        for b in self.blocks:
            x = b(x)
        x = self.decoder_embed(self.norm(x))
        m = self.mask_token.expand(N, L + 1 - x.shape[1], -1)
        y = torch.gather(torch.cat([x[:, 1:], m], 1), 1, ids_restore.unsqueeze(-1).expand(-1, -1, x.shape[2]))
        x = torch.cat([x[:, :1], y], 1) + self.decoder_pos_embed
        for b in self.decoder_blocks:
            x = b(x)
        pred = self.decoder_pred(self.decoder_norm(x))[:, 1:]
        target = self.patchify(imgs)
        mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True)
        target = (target - mean) / (var + 1e-6) ** 0.5
        loss = ((pred - target) ** 2).mean(-1)
        return (loss * mask).sum() / mask.sum()
