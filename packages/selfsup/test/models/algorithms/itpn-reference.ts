/**
 * A PyTorch HiViT and iTPN (pixel target) restated from the papers (Zhang et al. 2023; Tian et al.
 * 2023) with mmpretrain's module names, shared by the HiViT and iTPN tests. Needs PY_MAE (its
 * `Attention`, `Block`, `patchify`) and, for `build`/`finish`, parity-reference.ts's PY_COMMON.
 * The merge takes the strided neighbours x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2]
 * as mmpretrain writes it (selfsup reshapes instead), and the masking gathers whole patches.
 */
export const PY_HIVIT = `
class HMlp(nn.Module):
    def __init__(self, d, r):
        super().__init__(); self.fc1 = nn.Linear(d, int(d * r)); self.act = nn.GELU(); self.fc2 = nn.Linear(int(d * r), d)
    def forward(self, x): return self.fc2(self.act(self.fc1(x)))

def rel_index(s):
    c = torch.stack(torch.meshgrid(torch.arange(s), torch.arange(s), indexing='ij')).flatten(1)
    r = (c[:, :, None] - c[:, None, :]).permute(1, 2, 0) + (s - 1)
    return r[:, :, 0] * (2 * s - 1) + r[:, :, 1]

class RAttention(nn.Module):
    def __init__(self, d, h, s, rpe):
        super().__init__(); self.h = h; self.rpe = rpe
        self.qkv = nn.Linear(d, 3 * d); self.proj = nn.Linear(d, d)
        if rpe:
            self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * s - 1) ** 2, h))
            self.register_buffer('relative_position_index', rel_index(s))
    def forward(self, x, use_rpe=False):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.h, C // self.h).permute(2, 0, 3, 1, 4).unbind(0)
        a = (q * (C // self.h) ** -0.5) @ k.transpose(-2, -1)
        if use_rpe:
            a = a + self.relative_position_bias_table[self.relative_position_index.view(-1)].view(N, N, self.h).permute(2, 0, 1)[None]
        return self.proj((a.softmax(-1) @ v).transpose(1, 2).reshape(B, N, C))

class HBlock(nn.Module):
    def __init__(self, d, h, r, eps, s=1, rpe=False, ls=0.0):
        super().__init__(); self.h = h
        if h:
            self.norm1 = nn.LayerNorm(d, eps=eps); self.attn = RAttention(d, h, s, rpe)
        self.norm2 = nn.LayerNorm(d, eps=eps); self.mlp = HMlp(d, r)
        self.ls = ls
        if ls > 0:
            if h: self.gamma_1 = nn.Parameter(ls * torch.ones(d))
            self.gamma_2 = nn.Parameter(ls * torch.ones(d))
    def forward(self, x, use_rpe=False):
        if self.h:
            a = self.attn(self.norm1(x), use_rpe)
            x = x + (self.gamma_1 * a if self.ls > 0 else a)
        m = self.mlp(self.norm2(x))
        return x + (self.gamma_2 * m if self.ls > 0 else m)

class HPatchEmbed(nn.Module):
    def __init__(self, p, d, eps):
        super().__init__(); self.p = p
        self.proj = nn.Conv2d(3, d, p // 4, p // 4); self.norm = nn.LayerNorm(d, eps=eps)
    def forward(self, x):
        B, _, H, W = x.shape; gh, gw = H // self.p, W // self.p
        x = self.proj(x).view(B, -1, gh, 4, gw, 4).permute(0, 2, 4, 3, 5, 1).reshape(B, gh * gw, 4, 4, -1)
        return self.norm(x)

class Merge(nn.Module):
    def __init__(self, d, eps):
        super().__init__(); self.norm = nn.LayerNorm(4 * d, eps=eps); self.reduction = nn.Linear(4 * d, 2 * d, bias=False)
    def forward(self, x):
        x = torch.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :], x[..., 1::2, 1::2, :]], -1)
        return self.reduction(self.norm(x))

class HiViTRef(nn.Module):
    def __init__(self, img, p, C, depths, heads, eps, rpe=False, ls=0.0, fixed_pos=False):
        super().__init__()
        s = img // p; self.p = p; self.C = C; self.main = depths[2]; self.rpe = rpe
        self.patch_embed = HPatchEmbed(p, C // 4, eps)
        self.pos_embed = nn.Parameter(torch.zeros(1, s * s, C), requires_grad=not fixed_pos)
        if rpe: self.register_buffer('relative_position_index', rel_index(s))
        blocks = []; d = C // 4
        for i, n in enumerate(depths):
            main = i == 2
            for _ in range(n if main else 2 * n):
                blocks.append(HBlock(d, heads if main else 0, 4 if main else 3, eps, s, rpe, ls))
            if not main: blocks.append(Merge(d, eps)); d *= 2
        self.blocks = nn.ModuleList(blocks)
    def forward(self, img):
        B = img.shape[0]; gh = img.shape[2] // self.p; gw = img.shape[3] // self.p
        x = self.patch_embed(img)
        for b in self.blocks[:-self.main]: x = b(x)
        x = x[..., 0, 0, :] + self.pos_embed
        for b in self.blocks[-self.main:]: x = b(x, self.rpe)
        return x.transpose(1, 2).reshape(B, self.C, gh, gw)
    def masked(self, img, ratio):
        x = self.patch_embed(img)
        N, L = x.shape[:2]
        keep = int(L * (1 - ratio))
        noise = torch.rand(N, L, dtype=torch.float32)
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :keep]
        x = torch.gather(x, 1, ids_keep[:, :, None, None, None].expand(-1, -1, *x.shape[2:]))
        mask = torch.ones(N, L); mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        outs = []
        for b in self.blocks[:-self.main]:
            if isinstance(b, Merge): outs.append(x)
            x = b(x)
        pos = torch.gather(self.pos_embed.expand(N, -1, -1), 1, ids_keep[:, :, None].expand(-1, -1, self.C))
        x = x[..., 0, 0, :] + pos
        for b in self.blocks[-self.main:]: x = b(x)
        outs.append(x)
        return outs, mask, ids_restore

class Split(nn.Module):
    def __init__(self, d, f, eps):
        super().__init__(); self.f = f
        self.norm = nn.LayerNorm(d, eps=eps); self.reduction = nn.Linear(d, 4 * f, bias=False)
    def forward(self, x):
        B, N, H, W, _ = x.shape
        x = self.reduction(self.norm(x)).reshape(B, N, H, W, 2, 2, self.f)
        return x.permute(0, 1, 2, 4, 3, 5, 6).reshape(B, N, 2 * H, 2 * W, self.f)

class ITPNNeckRef(nn.Module):
    def __init__(self, L, p, C, f, fdepth, dd, ddepth, dh, eps=1e-6):
        super().__init__()
        self.align_dim_16tofpn = nn.Linear(C, f)
        self.fpn_modules = nn.ModuleList([HBlock(f, 0, 4, eps) for _ in range(3)])
        self.align_dim_16to8 = nn.Linear(C // 2, f, bias=False)
        self.split_16to8 = Split(C, f, eps)
        self.block_16to8 = nn.Sequential(*[HBlock(f, 0, 4, eps) for _ in range(fdepth)])
        self.align_dim_8to4 = nn.Linear(C // 4, f, bias=False)
        self.split_8to4 = Split(f, f, eps)
        self.block_8to4 = nn.Sequential(*[HBlock(f, 0, 4, eps) for _ in range(fdepth)])
        self.decoder_embed = nn.ModuleList([nn.Sequential(nn.LayerNorm(f), nn.Linear(f, dd // 4 ** i)) for i in range(3)])
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dd))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, L, dd), requires_grad=False)
        self.decoder_blocks = nn.ModuleList([Block(dd, dh) for _ in range(ddepth)])
        self.decoder_norm = nn.LayerNorm(dd, eps=1e-6)
        self.decoder_pred = nn.Linear(dd, p * p * 3)
    def forward(self, feats, ids_restore):
        top = feats[-1]; B, L, _ = top.shape
        x = top[..., None, None, :]
        outs = [self.align_dim_16tofpn(x)]
        x = self.block_16to8(self.split_16to8(x) + self.align_dim_16to8(feats[1])); outs.append(x)
        x = self.block_8to4(self.split_8to4(x) + self.align_dim_8to4(feats[0])); outs.append(x)
        outs = [m(o) for m, o in zip(self.fpn_modules, outs)]
        levels = []
        for o, layer in zip(outs, self.decoder_embed):
            t = layer(o).reshape(B, L, -1)
            m = self.mask_token.repeat(B, ids_restore.shape[1] + 1 - L, 1)
            t = torch.cat([t, m], 1)
            levels.append(torch.gather(t, 1, ids_restore.unsqueeze(-1).repeat(1, 1, t.shape[2])))
        x = levels[0] + self.decoder_pos_embed
        for t in levels[1:]: x = x + t
        for b in self.decoder_blocks: x = b(x)
        return self.decoder_pred(self.decoder_norm(x))

class ITPNRef(nn.Module):
    def __init__(self, backbone, neck, p):
        super().__init__(); self.backbone = backbone; self.neck = neck; self.p = p
    def forward(self, imgs, ratio=0.75, norm_pix=True):
        feats, mask, ids_restore = self.backbone.masked(imgs, ratio)
        pred = self.neck(feats, ids_restore)
        target = patchify(imgs, self.p)
        if norm_pix:
            target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1.e-6) ** .5
        loss = ((pred - target) ** 2).mean(dim=-1)
        return (loss * mask).sum() / mask.sum()
`;

/**
 * iTPN's CLIP target restated from mmpretrain's `forward_clip` / the neck's 'clip' branch /
 * `iTPNClipHead` (after PY_HIVIT and clip-teacher.ts's PY_CLIP): the mask token replaces masked
 * patches at the main stage (the stem sees every patch), the pyramid levels are summed and
 * LayerNorm'd, and a linear head meets the teacher's patch features on the masked patches (−cos).
 */
export const PY_ITPN_CLIP = `
def hivit_clip(self, img, mask):
    x = self.patch_embed(img)
    outs = []
    for b in self.blocks[:-self.main]:
        if isinstance(b, Merge): outs.append(x)
        x = b(x)
    x = x[..., 0, 0, :]
    w = mask.flatten(1).unsqueeze(-1).type_as(x)
    x = x * (1. - w) + self.mask_token * w
    x = x + self.pos_embed
    for b in self.blocks[-self.main:]: x = b(x, self.rpe)
    outs.append(x)
    return outs
HiViTRef.clip = hivit_clip

class ITPNClipNeckRef(nn.Module):
    def __init__(self, C, f, fdepth, eps=1e-6):
        super().__init__()
        if C != f: self.align_dim_16tofpn = nn.Linear(C, f)
        else: self.align_dim_16tofpn = None
        self.fpn_modules = nn.ModuleList([HBlock(f, 0, 4, eps) for _ in range(3)])
        self.align_dim_16to8 = nn.Linear(C // 2, f, bias=False)
        self.split_16to8 = Split(C, f, eps)
        self.block_16to8 = nn.Sequential(*[HBlock(f, 0, 4, eps) for _ in range(fdepth)])
        self.align_dim_8to4 = nn.Linear(C // 4, f, bias=False)
        self.split_8to4 = Split(f, f, eps)
        self.block_8to4 = nn.Sequential(*[HBlock(f, 0, 4, eps) for _ in range(fdepth)])
        self.decoder_embed = nn.ModuleList([nn.Sequential(nn.LayerNorm(f), nn.Linear(f, C // 4 ** i)) for i in range(3)])
        self.norm = nn.LayerNorm(C, eps=eps)
    def forward(self, feats):
        top = feats[-1]; B, L, _ = top.shape
        x = top[..., None, None, :]
        outs = [x if self.align_dim_16tofpn is None else self.align_dim_16tofpn(x)]
        x = self.block_16to8(self.split_16to8(x) + self.align_dim_16to8(feats[1])); outs.append(x)
        x = self.block_8to4(self.split_8to4(x) + self.align_dim_8to4(feats[0])); outs.append(x)
        outs = [m(o) for m, o in zip(self.fpn_modules, outs)]
        levels = [layer(o).reshape(B, L, -1) for o, layer in zip(outs, self.decoder_embed)]
        x = levels[0]
        for t in levels[1:]: x = x + t
        return self.norm(x)

class ITPNClipHeadRef(nn.Module):
    def __init__(self, C, D):
        super().__init__(); self.cls_head = nn.Linear(C, D)
    def forward(self, feats, target, mask):
        m = mask.flatten(1).to(torch.bool)
        return -F.cosine_similarity(self.cls_head(feats[m]), target[m], dim=-1).mean()
`;
