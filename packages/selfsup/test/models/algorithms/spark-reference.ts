/**
 * A PyTorch SparK written after mmpretrain's (Tian et al. 2023; `selfsup/spark.py`,
 * `utils/sparse_modules.py`, `necks/spark_neck.py`, `heads/spark_head.py`): a module-global active
 * mask, sparse conv / max-pool that multiply their output by it, sparse BN as BatchNorm1d over the
 * gathered `(n_active, C)` rows scattered back into zeros (selfsup computes masked statistics
 * instead: an independent formulation), a ResNet-18 built of them, the light decoder, the
 * normalised-pixel head. Runs after parity-reference.ts's PY_COMMON.
 */
export const PY_SPARK = `
class Sp:
    cur = None

def active_at(h, w):
    a = Sp.cur
    return a.repeat_interleave(h // a.shape[2], 2).repeat_interleave(w // a.shape[3], 3)

class SConv(nn.Conv2d):
    def forward(self, x):
        x = super().forward(x)
        return x * active_at(x.shape[2], x.shape[3])

class SMaxPool(nn.MaxPool2d):
    def forward(self, x):
        x = super().forward(x)
        return x * active_at(x.shape[2], x.shape[3])

class SBN(nn.BatchNorm1d):
    def forward(self, x):
        idx = active_at(x.shape[2], x.shape[3]).squeeze(1).nonzero(as_tuple=True)
        xp = x.permute(0, 2, 3, 1)
        rows = super().forward(xp[idx])
        out = torch.zeros_like(xp)
        out[idx] = rows
        return out.permute(0, 3, 1, 2)

class SBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = SConv(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = SBN(cout)
        self.conv2 = SConv(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = SBN(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(SConv(cin, cout, 1, stride, bias=False), SBN(cout))
    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))

class SparseResNet18(nn.Module):
    def __init__(self, width, cifar, out_indices):
        super().__init__()
        w = [int(64 * 2 ** i * width) for i in range(4)]
        self.cifar, self.out_indices = cifar, out_indices
        self.conv1 = SConv(3, w[0], 3, 1, 1, bias=False) if cifar else SConv(3, w[0], 7, 2, 3, bias=False)
        self.bn1 = SBN(w[0])
        self.maxpool = None if cifar else SMaxPool(3, 2, 1)
        cin = w[0]
        for i, (c, s) in enumerate(zip(w, (1, 2, 2, 2))):
            setattr(self, f'layer{i + 1}', nn.Sequential(SBlock(cin, c, s), SBlock(c, c, 1)))
            cin = c
    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        if self.maxpool is not None:
            x = self.maxpool(x)
        outs = []
        for i in range(4):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        return outs

class ConvBlock2x(nn.Module):
    def __init__(self, cin, cout, mid):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, mid, 3, 1, 1, bias=False); self.norm1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, cout, 3, 1, 1, bias=False); self.norm2 = nn.BatchNorm2d(cout)
    def forward(self, x):
        return self.norm2(self.conv2(F.relu6(self.norm1(self.conv1(x)))))

class DecoderConvModule(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.upsample = nn.ConvTranspose2d(cin, cin, 4, 2, 1, bias=True)
        self.conv_blocks = nn.Sequential(ConvBlock2x(cin, cout, cin))
    def forward(self, x):
        return self.conv_blocks(self.upsample(x))

class LightDecoder(nn.Module):
    def __init__(self, dim, ratio):
        super().__init__()
        n = round(math.log2(ratio))
        ch = [dim // 2 ** i for i in range(n + 1)]
        self.decoder = nn.ModuleList([DecoderConvModule(a, b) for a, b in zip(ch[:-1], ch[1:])])
        self.proj = nn.Conv2d(ch[-1], 3, 1)
    def forward(self, to_dec):
        x = 0
        for i, d in enumerate(self.decoder):
            if i < len(to_dec):
                x = x + to_dec[i]
            x = d(x)
        return self.proj(x)

def patchify(x, p):
    B, C, H, W = x.shape
    x = torch.einsum('bchpwq->bhwpqc', x.reshape(B, C, H // p, p, W // p, p))
    return x.reshape(B, (H // p) * (W // p), p * p * C)

def spark_head(rec, img, counted, p):
    t = patchify(img, p)
    t = (t - t.mean(-1, keepdim=True)) / (t.var(-1, keepdim=True) + 1e-6) ** .5
    m = counted.int().view(img.shape[0], -1)
    loss = ((patchify(rec, p) - t) ** 2).mean(-1)
    return (loss * m).sum() / m.sum()

class SparK(nn.Module):
    def __init__(self, backbone, neck, size, ratio, mask_ratio, norm_dim, feat_dim, scales):
        super().__init__()
        self.backbone, self.neck, self.ratio = backbone, neck, ratio
        self.f = size // ratio
        self.len_keep = round(self.f * self.f * (1 - mask_ratio))
        self.enc_dec_norms = nn.ModuleList()
        self.enc_dec_projectors = nn.ModuleList()
        self.mask_tokens = nn.ParameterList()
        for i in range(scales):
            self.enc_dec_norms.append(SBN(norm_dim))
            k = 1 if i == 0 else 3
            proj = nn.Conv2d(norm_dim, feat_dim, k, 1, k // 2, bias=True)
            self.enc_dec_projectors.append(nn.Identity() if i == 0 and norm_dim == feat_dim else proj)
            self.mask_tokens.append(nn.Parameter(torch.zeros(1, norm_dim, 1, 1)))
            norm_dim //= 2; feat_dim //= 2
    def forward(self, inp):
        B, f = inp.shape[0], self.f
        idx = torch.rand(B, f * f, dtype=torch.float32).argsort(dim=1)[:, :self.len_keep]
        active = torch.zeros(B, f * f, dtype=torch.bool).scatter_(1, idx, True).view(B, 1, f, f)
        Sp.cur = active
        masked = inp * active.repeat_interleave(self.ratio, 2).repeat_interleave(self.ratio, 3)
        feats = list(self.backbone(masked))[::-1]
        cur, to_dec = active, []
        for i, fm in enumerate(feats):
            fm = self.enc_dec_norms[i](fm)
            fm = torch.where(cur.expand_as(fm), fm, self.mask_tokens[i].expand_as(fm))
            to_dec.append(self.enc_dec_projectors[i](fm))
            cur = cur.repeat_interleave(2, 2).repeat_interleave(2, 3)
        return self.neck(to_dec), active

def run(model):
    model = build(model)
    torch.manual_seed(D['seed'])
    rec, active = model(VIEWS[0])
    loss = spark_head(rec, VIEWS[0], ~active, model.ratio)
    with torch.no_grad():
        # The loss over the visible patches instead of the masked ones: must not match.
        perturbed = spark_head(rec, VIEWS[0], active, model.ratio).item()
    return finish(model, loss, {'perturbed': perturbed, 'active': active.int().view(active.shape[0], -1).tolist()})
`;
