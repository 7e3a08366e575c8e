/**
 * PyTorch re-statements for the BEiT tests, written from MMSelfSup 1.x / mmcls (`BEiTViT`,
 * `BEiTTransformerEncoderLayer` with `BEiTAttention` and `RelativePositionBias`, `BEiTV2Neck`,
 * `BEiTV1Head`, `BEiTV2Head`, `BEiTLoss`) and the tokenizers (OpenAI's DALL-E `Encoder`, VQ-KD's
 * encoder + `NormEMAVectorQuantizer`), with the module names of selfsup's state dict (timm's BEiT
 * block keys, OpenAI's and the official VQ-KD release's tokenizer keys). Self-contained (no
 * PY_COMMON): `make_tokenizer(kind, cfg, path, seed)` writes a seeded random tokenizer `.pth`.
 */
export const PY_BEIT = `
import math
from collections import OrderedDict
import torch.nn as nn
import torch.nn.functional as F

def rel_index(h, w):
    """mmcls's relative position index: patch offsets, then the class token's row, column and corner."""
    coords = torch.stack(torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += h - 1
    rel[:, :, 1] += w - 1
    rel[:, :, 0] *= 2 * w - 1
    n = (2 * h - 1) * (2 * w - 1)
    idx = torch.zeros((h * w + 1, h * w + 1), dtype=torch.long)
    idx[1:, 1:] = rel.sum(-1)
    idx[0, 0:] = n
    idx[0:, 0] = n + 1
    idx[0, 0] = n + 2
    return idx

def gather_bias(table, index):
    L = index.shape[0]
    return table[index.view(-1)].view(L, L, -1).permute(2, 0, 1).contiguous()

class RelPosBias(nn.Module):
    def __init__(self, win, heads):
        super().__init__()
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * win[0] - 1) * (2 * win[1] - 1) + 3, heads))
        self.register_buffer('relative_position_index', rel_index(*win), persistent=False)

    def forward(self):
        return gather_bias(self.relative_position_bias_table, self.relative_position_index)

class Attn(nn.Module):
    def __init__(self, d, heads, win=None):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(d))
        self.v_bias = nn.Parameter(torch.zeros(d))
        if win is not None:
            self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * win[0] - 1) * (2 * win[1] - 1) + 3, heads))
            self.register_buffer('relative_position_index', rel_index(*win), persistent=False)
        else:
            self.relative_position_bias_table = None
        self.proj = nn.Linear(d, d)

    def forward(self, x, rel_pos_bias=None):
        B, N, C = x.shape
        qkv_bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias, requires_grad=False), self.v_bias))
        qkv = F.linear(x, self.qkv.weight, qkv_bias).reshape(B, N, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * (C // self.heads) ** -0.5) @ k.transpose(-2, -1)
        if self.relative_position_bias_table is not None:
            attn = attn + gather_bias(self.relative_position_bias_table, self.relative_position_index).unsqueeze(0)
        if rel_pos_bias is not None:
            attn = attn + rel_pos_bias
        x = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, -1)
        return self.proj(x)

class Mlp(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))

class Layer(nn.Module):
    """BEiTTransformerEncoderLayer: x + γ1·attn(ln1(x), bias); x + γ2·ffn(ln2(x))."""
    def __init__(self, d, heads, ls, win=None):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6)
        self.attn = Attn(d, heads, win)
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = Mlp(d)
        if ls > 0:
            self.gamma_1 = nn.Parameter(ls * torch.ones(d))
            self.gamma_2 = nn.Parameter(ls * torch.ones(d))
        else:
            self.gamma_1 = self.gamma_2 = None

    def forward(self, x, rel_pos_bias=None):
        a = self.attn(self.norm1(x), rel_pos_bias=rel_pos_bias)
        x = x + (a if self.gamma_1 is None else self.gamma_1 * a)
        m = self.mlp(self.norm2(x))
        return x + (m if self.gamma_2 is None else self.gamma_2 * m)

class PatchEmbed(nn.Module):
    def __init__(self, p, d):
        super().__init__()
        self.proj = nn.Conv2d(3, d, p, p)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)

class BEiTViT(nn.Module):
    """MMSelfSup's BEiTViT.forward(x, mask): mask tokens, class token, (abs pos), layers, final norm, outs."""
    def __init__(self, d, depth, heads, p, img, out_indices=(-1,), final_norm=True, shared=True,
                 per_block=False, abs_pos=False, ls=0.1, mask_token=True):
        super().__init__()
        g = img // p
        self.patch_embed = PatchEmbed(p, d)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d)) if mask_token else None
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + g * g, d)) if abs_pos else None
        self.rel_pos_bias = RelPosBias((g, g), heads) if shared else None
        self.blocks = nn.ModuleList([Layer(d, heads, ls, (g, g) if per_block else None) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=1e-6) if final_norm else None
        self.out_indices = [i % depth for i in out_indices]

    def shared_bias(self):
        return self.rel_pos_bias() if self.rel_pos_bias is not None else None

    def forward(self, x, mask=None):
        x = self.patch_embed(x)
        B, L, _ = x.shape
        if mask is not None:
            w = mask.flatten(1).unsqueeze(-1).type_as(x)
            x = x * (1. - w) + self.mask_token.expand(B, L, -1) * w
        x = torch.cat((self.cls_token.expand(B, -1, -1), x), dim=1)
        if self.pos_embed is not None:
            x = x + self.pos_embed
        bias = self.shared_bias()
        outs = []
        for i, layer in enumerate(self.blocks):
            x = layer(x, rel_pos_bias=bias)
            if i == len(self.blocks) - 1 and self.norm is not None:
                x = self.norm(x)
            if i in self.out_indices:
                outs.append(x)
        return outs

class DConv(nn.Module):
    def __init__(self, n_in, n_out, kw):
        super().__init__()
        self.kw = kw
        self.w = nn.Parameter(torch.randn(n_out, n_in, kw, kw) / math.sqrt(n_in * kw * kw))
        self.b = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return F.conv2d(x, self.w, self.b, padding=(self.kw - 1) // 2)

class DBlock(nn.Module):
    def __init__(self, n_in, n_out, n_layers):
        super().__init__()
        hid = n_out // 4
        self.post_gain = 1 / n_layers ** 2
        self.id_path = DConv(n_in, n_out, 1) if n_in != n_out else nn.Identity()
        self.res_path = nn.Sequential(OrderedDict([
            ('relu_1', nn.ReLU()), ('conv_1', DConv(n_in, hid, 3)),
            ('relu_2', nn.ReLU()), ('conv_2', DConv(hid, hid, 3)),
            ('relu_3', nn.ReLU()), ('conv_3', DConv(hid, hid, 3)),
            ('relu_4', nn.ReLU()), ('conv_4', DConv(hid, n_out, 1))]))

    def forward(self, x):
        return self.id_path(x) + self.post_gain * self.res_path(x)

class DallE(nn.Module):
    """OpenAI's DALL-E Encoder (dall_e/encoder.py): logits (N, vocab, H/8, W/8)."""
    def __init__(self, n_hid=256, n_blk=2, vocab=8192):
        super().__init__()
        n_layers = 4 * n_blk
        groups = [('input', DConv(3, n_hid, 7))]
        w_in = n_hid
        for g in range(1, 5):
            w = n_hid * 2 ** (g - 1)
            items = []
            for i in range(n_blk):
                items.append((f'block_{i + 1}', DBlock(w_in if i == 0 else w, w, n_layers)))
            w_in = w
            if g < 4:
                items.append(('pool', nn.MaxPool2d(kernel_size=2)))
            groups.append((f'group_{g}', nn.Sequential(OrderedDict(items))))
        groups.append(('output', nn.Sequential(OrderedDict([('relu', nn.ReLU()), ('conv', DConv(8 * n_hid, vocab, 1))]))))
        self.blocks = nn.Sequential(OrderedDict(groups))

    def forward(self, x):
        return self.blocks(x)

class Quantizer(nn.Module):
    def __init__(self, n, d):
        super().__init__()
        self.embedding = nn.Embedding(n, d)
        self.embedding.weight.data = F.normalize(self.embedding.weight.data, p=2, dim=-1)

    def forward(self, z):
        z = F.normalize(z, p=2, dim=-1)
        zf = z.reshape(-1, z.shape[-1])
        w = self.embedding.weight
        d = zf.pow(2).sum(dim=1, keepdim=True) + w.pow(2).sum(dim=1) - 2 * torch.einsum('bd,nd->bn', zf, w)
        return torch.argmin(d, dim=1).view(z.shape[0], -1)

class VQKD(nn.Module):
    """VQ-KD's encoder half: ViT (abs pos, no rel bias, no layer scale) → task layer → normalised codebook ids."""
    def __init__(self, d, depth, heads, p, img, n_embed, embed_dims):
        super().__init__()
        self.encoder = BEiTViT(d, depth, heads, p, img, shared=False, abs_pos=True, ls=0., mask_token=False)
        self.encode_task_layer = nn.Sequential(nn.Linear(d, d), nn.Tanh(), nn.Linear(d, embed_dims))
        self.quantize = Quantizer(n_embed, embed_dims)

    def forward(self, x):
        feats = self.encoder(x)[-1][:, 1:]
        return self.quantize(self.encode_task_layer(feats))

def build_tokenizer(kind, c):
    if kind == 'dalle':
        return DallE(c['nHid'], c['nBlkPerGroup'], c['vocabSize'])
    e = c['encoderConfig']
    return VQKD(e['embedDim'], e['depth'], e['numHeads'], e['patchSize'], e['imgSize'], c['numEmbed'], c['embedDims'])

def make_tokenizer(kind, c, path, seed):
    """A seeded random tokenizer (biases, norms and the class token perturbed too), saved as a state dict."""
    torch.manual_seed(seed)
    m = build_tokenizer(kind, c).float()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name != 'quantize.embedding.weight':
                p.add_(0.05 * torch.randn_like(p))
    sd = m.state_dict()
    if kind == 'vqkd':
        # What the official release also holds and the encoder half does not use.
        sd['decoder.blocks.0.norm1.weight'] = torch.ones(4)
        sd['quantize.cluster_size'] = torch.zeros(c['numEmbed'])
    torch.save(sd, path)
    return m
`;
