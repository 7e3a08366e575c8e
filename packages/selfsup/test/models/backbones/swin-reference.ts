/**
 * A Swin Transformer in plain PyTorch with mmcls/mmpretrain's module names (the keys of MMSelfSup's
 * SimMIMSwinTransformer; mmcv is not installed), written independently of selfsup's: window
 * attention with relative position bias, cyclic-shift windows with their attention mask, padding to
 * the window, `nn.Unfold` patch merging and SimMIM's mask token. No dropout or drop path. Used by the
 * Swin backbone test and the SimMIM parity test (`Swin(d, depths, heads, window, patch, out_indices)`,
 * `forward(x, mask=None)` → the `out_indices` maps). Keys: `patch_embed.{projection,norm}.*`,
 * `stages.i.blocks.j.{norm1,attn.w_msa.*,norm2,ffn.layers.*}`, `stages.i.downsample.*`, `norm{i}.*`,
 * `mask_token`.
 */
export const SWIN_REF = `
import torch.nn as nn
import torch.nn.functional as F
def partition(x, ws):
    B, H, W, C = x.shape
    return x.view(B, H // ws, ws, W // ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws, ws, C)
def reverse(w, H, W, ws):
    B = w.shape[0] // ((H // ws) * (W // ws))
    return w.view(B, H // ws, W // ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5).reshape(B, H, W, -1)
class WindowMSA(nn.Module):
    def __init__(self, d, ws, h):
        super().__init__(); self.h = h
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1) ** 2, h))
        coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing='ij')).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (ws - 1)
        self.register_buffer('relative_position_index', rel[..., 0] * (2 * ws - 1) + rel[..., 1])
        self.qkv = nn.Linear(d, 3 * d); self.proj = nn.Linear(d, d)
    def forward(self, x, mask):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.h, C // self.h).permute(2, 0, 3, 1, 4)
        a = (q * (C // self.h) ** -0.5) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(N, N, -1).permute(2, 0, 1)
        a = a + bias.unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            a = (a.view(B // nW, nW, self.h, N, N) + mask.unsqueeze(1).unsqueeze(0)).view(B, self.h, N, N)
        return self.proj((a.softmax(-1) @ v).transpose(1, 2).reshape(B, N, C))
class ShiftWindowMSA(nn.Module):
    def __init__(self, d, h, ws, shift):
        super().__init__(); self.ws, self.shift = ws, shift; self.w_msa = WindowMSA(d, ws, h)
    def forward(self, x, hw):
        B, L, C = x.shape; H, W = hw; ws = self.ws
        shift = 0 if min(H, W) == ws else self.shift
        x = F.pad(x.view(B, H, W, C), (0, 0, 0, (ws - W % ws) % ws, 0, (ws - H % ws) % ws))
        Hp, Wp = x.shape[1], x.shape[2]
        mask = None
        if shift:
            x = torch.roll(x, (-shift, -shift), (1, 2))
            img = torch.zeros(1, Hp, Wp, 1); cnt = 0
            for hs in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                for wsl in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                    img[:, hs, wsl, :] = cnt; cnt += 1
            mw = partition(img, ws).view(-1, ws * ws)
            mask = mw.unsqueeze(1) - mw.unsqueeze(2)
            mask = mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)
        out = self.w_msa(partition(x, ws).view(-1, ws * ws, C), mask)
        x = reverse(out.view(-1, ws, ws, C), Hp, Wp, ws)
        if shift: x = torch.roll(x, (shift, shift), (1, 2))
        return x[:, :H, :W].reshape(B, H * W, C)
class FFN(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.layers = nn.Sequential(nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Dropout(0.)), nn.Linear(hidden, d), nn.Dropout(0.))
    def forward(self, x, identity): return identity + self.layers(x)
class SwinBlock(nn.Module):
    def __init__(self, d, h, ws, shift):
        super().__init__()
        self.norm1 = nn.LayerNorm(d); self.attn = ShiftWindowMSA(d, h, ws, ws // 2 if shift else 0)
        self.norm2 = nn.LayerNorm(d); self.ffn = FFN(d, 4 * d)
    def forward(self, x, hw):
        x = x + self.attn(self.norm1(x), hw)
        return self.ffn(self.norm2(x), x)
class PatchMerging(nn.Module):
    def __init__(self, c):
        super().__init__(); self.sampler = nn.Unfold(2, stride=2)
        self.norm = nn.LayerNorm(4 * c); self.reduction = nn.Linear(4 * c, 2 * c, bias=False)
    def forward(self, x, hw):
        B, L, C = x.shape; H, W = hw
        x = F.pad(x.view(B, H, W, C).permute(0, 3, 1, 2), (0, W % 2, 0, H % 2))
        x = self.sampler(x).transpose(1, 2)
        return self.reduction(self.norm(x)), ((H + 1) // 2, (W + 1) // 2)
class Stage(nn.Module):
    def __init__(self, d, depth, h, ws, down):
        super().__init__()
        self.blocks = nn.ModuleList([SwinBlock(d, h, ws, i % 2 == 1) for i in range(depth)])
        self.downsample = PatchMerging(d) if down else None
class PatchEmbed(nn.Module):
    def __init__(self, d, p):
        super().__init__(); self.projection = nn.Conv2d(3, d, p, p); self.norm = nn.LayerNorm(d)
    def forward(self, x):
        x = self.projection(x)
        return self.norm(x.flatten(2).transpose(1, 2)), (x.shape[2], x.shape[3])
class Swin(nn.Module):
    def __init__(self, d, depths, heads, ws, p, out_indices):
        super().__init__()
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        self.patch_embed = PatchEmbed(d, p)
        self.stages = nn.ModuleList([Stage(d * 2 ** i, n, h, ws, i < len(depths) - 1) for i, (n, h) in enumerate(zip(depths, heads))])
        self.out_indices = out_indices
        for i in out_indices: self.add_module(f'norm{i}', nn.LayerNorm(d * 2 ** i))
    def forward(self, x, mask=None):
        x, hw = self.patch_embed(x)
        if mask is not None:
            w = mask.flatten(1).unsqueeze(-1).type_as(x); x = x * (1. - w) + self.mask_token * w
        outs = []
        for i, st in enumerate(self.stages):
            for b in st.blocks: x = b(x, hw)
            if i in self.out_indices:
                outs.append(getattr(self, f'norm{i}')(x).view(-1, *hw, x.shape[-1]).permute(0, 3, 1, 2))
            if st.downsample is not None: x, hw = st.downsample(x, hw)
        return outs
`;
