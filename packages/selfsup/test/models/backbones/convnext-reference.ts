/**
 * A PyTorch ConvNeXt / ConvNeXt V2 written after mmpretrain's `convnext.py` and
 * `sparse_convnext.py` (mmpretrain is not installed), with its module names: float64, GRN as the
 * ConvNeXt V2 paper states it (L2 norm over H, W; divided by the channel mean), LayerNorms in
 * channels-last. `sparse=True` is SparK's variant: convs multiplied by the active map, LayerNorm
 * applied to the gathered visible rows and scattered back into zeros (mmpretrain's formulation;
 * selfsup masks a dense LayerNorm instead), the residual branch masked, no output norms.
 * The active mask is `Sp.cur` (the one spark-reference.ts defines, or its own).
 */
export const PY_CONVNEXT = `
import torch.nn as nn
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
try:
    Sp
except NameError:
    class Sp:
        cur = None

def _active(h, w):
    a = Sp.cur
    return a.repeat_interleave(h // a.shape[2], 2).repeat_interleave(w // a.shape[3], 3)

class CConv(nn.Conv2d):
    def __init__(self, *a, sparse=False, **k):
        super().__init__(*a, **k); self.sparse = sparse
    def forward(self, x):
        y = super().forward(x)
        return y * _active(y.shape[2], y.shape[3]) if self.sparse and Sp.cur is not None else y

class CLN(nn.LayerNorm):
    """LayerNorm over channels; input (N, H, W, C) if last else (N, C, H, W)."""
    def __init__(self, c, eps=1e-6, sparse=False):
        super().__init__(c, eps=eps); self.sparse = sparse
    def forward(self, x, last=False):
        xl = x if last else x.permute(0, 2, 3, 1)
        if self.sparse and Sp.cur is not None:
            idx = _active(xl.shape[1], xl.shape[2]).squeeze(1).nonzero(as_tuple=True)
            out = torch.zeros_like(xl)
            out[idx] = super().forward(xl[idx])
        else:
            out = super().forward(xl)
        return out if last else out.permute(0, 3, 1, 2)

class CGRN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(c)); self.beta = nn.Parameter(torch.zeros(c))
    def forward(self, x):  # (N, H, W, C)
        g = torch.linalg.vector_norm(x, dim=(1, 2), keepdim=True)
        return self.gamma * (x * (g / (g.mean(-1, keepdim=True) + 1e-6))) + self.beta + x

class CBlock(nn.Module):
    def __init__(self, c, linear, grn, ls, sparse):
        super().__init__()
        self.linear, self.sparse = linear, sparse
        self.depthwise_conv = CConv(c, c, 7, padding=3, groups=c, sparse=sparse)
        self.norm = CLN(c, sparse=sparse)
        pw = (lambda i, o: nn.Linear(i, o)) if linear else (lambda i, o: CConv(i, o, 1, sparse=sparse))
        self.pointwise_conv1 = pw(c, 4 * c)
        self.pointwise_conv2 = pw(4 * c, c)
        self.grn = CGRN(4 * c) if grn else None
        self.gamma = nn.Parameter(torch.full((c,), ls)) if ls > 0 else None
    def forward(self, x):
        y = self.depthwise_conv(x)
        if self.linear:
            y = F.gelu(self.pointwise_conv1(self.norm(y.permute(0, 2, 3, 1), last=True)))
            if self.grn is not None: y = self.grn(y)
            y = self.pointwise_conv2(y).permute(0, 3, 1, 2)
        else:
            y = F.gelu(self.pointwise_conv1(self.norm(y)))
            if self.grn is not None: y = self.grn(y.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            y = self.pointwise_conv2(y)
        if self.gamma is not None: y = y * self.gamma.view(1, -1, 1, 1)
        if self.sparse and Sp.cur is not None: y = y * _active(y.shape[2], y.shape[3])
        return x + y

class CNX(nn.Module):
    def __init__(self, depths, channels, out_indices, gap, linear=True, grn=False, ls=1e-6, sparse=False):
        super().__init__()
        self.out_indices, self.gap, self.sparse = out_indices, gap, sparse
        self.downsample_layers = nn.ModuleList([nn.Sequential(CConv(3, channels[0], 4, stride=4, sparse=sparse), CLN(channels[0], sparse=sparse))])
        for i in range(1, len(depths)):
            self.downsample_layers.append(nn.Sequential(CLN(channels[i - 1], sparse=sparse), CConv(channels[i - 1], channels[i], 2, stride=2, sparse=sparse)))
        self.stages = nn.ModuleList([nn.Sequential(*[CBlock(c, linear, grn, ls, sparse) for _ in range(d)]) for d, c in zip(depths, channels)])
        if not sparse:
            for i in out_indices: self.add_module(f'norm{i}', CLN(channels[i]))
    def forward(self, x):
        outs = []
        for i in range(len(self.stages)):
            x = self.stages[i](self.downsample_layers[i](x))
            if i in self.out_indices:
                y = x.mean((2, 3), keepdim=True) if self.gap else x
                if not self.sparse: y = getattr(self, f'norm{i}')(y)
                outs.append(y.flatten(1) if self.gap else y)
        return outs
`;
