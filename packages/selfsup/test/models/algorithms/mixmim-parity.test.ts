/**
 * MixMIM against a PyTorch restatement of MMSelfSup's MixMIM (MixMIMTransformerPretrain over mmcls's
 * MixMIMTransformer, MixMIMPretrainDecoder, MixMIMPretrainHead): one `rand(1, 1, L)` draw picks ⌊L/2⌋
 * of the final 2×2 grid's cells, nearest-upsampled to every stage; patch tokens of those cells come
 * from the reversed batch; window attention (relative position bias) is masked with −1e30 between
 * tokens of different source images; mmcv patch merging (unfold order); the decoder unmixes with mask
 * tokens into a 2N batch; the head unmixes back and takes the mean squared error against normalised
 * 32-px patches over every cell. Four stages of one block on 64-px images, float64; loss and every
 * gradient (see parity-reference.ts), and the relative position index against the reference's own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, MixMIM, type TrainProgress } from '../../../src/index.js';
import { PY_MAE, runSeededParity } from './mae-reference.js';
import { checkGrads, checkLoss, perturb, seededViews, summary, toFloat64 } from './parity-reference.js';

const cfg = {
  type: 'MixMIM',
  backbone: {
    type: 'MixMIMTransformerPretrain',
    imgSize: 64,
    patchSize: 4,
    embedDim: 8,
    depths: [1, 1, 1, 1],
    numHeads: [1, 2, 2, 4],
    windowSize: [4, 4, 2, 2],
  },
  neck: {
    type: 'MixMIMPretrainDecoder',
    numPatches: 4,
    encoderStride: 32,
    embedDim: 64,
    decoderEmbedDim: 8,
    decoderDepth: 1,
    decoderNumHeads: 2,
  },
  head: { type: 'MixMIMPretrainHead', normPix: true, loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
};

const PY = `${PY_MAE}
def win_part(x, ws):
    B, H, W, C = x.shape
    return x.view(B, H // ws, ws, W // ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, C)

def win_rev(w, B, H, W, ws):
    return w.view(B, H // ws, W // ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5).reshape(B, H, W, -1)

class WAttn(nn.Module):
    def __init__(self, d, ws, h):
        super().__init__(); self.h = h
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1) ** 2, h))
        c = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing='ij')).flatten(1)
        rel = (c[:, :, None] - c[:, None, :]).permute(1, 2, 0) + (ws - 1)
        self.register_buffer('relative_position_index', rel[..., 0] * (2 * ws - 1) + rel[..., 1])
        self.qkv = nn.Linear(d, 3 * d); self.proj = nn.Linear(d, d)
    def forward(self, x, m, use_mask):
        B_, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B_, N, 3, self.h, C // self.h).permute(2, 0, 3, 1, 4)
        a = (q * (C // self.h) ** -0.5) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(N, N, -1)
        a = a + bias.permute(2, 0, 1).unsqueeze(0)
        if use_mask:
            m = m.reshape(B_, 1, 1, N)
            a = a - 1e30 * (1 - (m * m.transpose(2, 3) + (1 - m) * (1 - m).transpose(2, 3)))
        return self.proj((a.softmax(-1) @ v).transpose(1, 2).reshape(B_, N, C))

class FFN(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.layers = nn.Sequential(nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Dropout(0.)), nn.Linear(4 * d, d), nn.Dropout(0.))

class MBlock(nn.Module):
    def __init__(self, d, res, h, ws):
        super().__init__(); self.res = res
        self.ws = min(res) if min(res) <= ws else ws
        self.ln1 = nn.LayerNorm(d); self.attn = WAttn(d, self.ws, h); self.ln2 = nn.LayerNorm(d); self.ffn = FFN(d)
    def forward(self, x, m, use_mask):
        H, W = self.res; B, L, C = x.shape
        y = win_part(self.ln1(x).view(B, H, W, C), self.ws)
        m = win_part(m.repeat(B, 1, 1).view(B, H, W, 1), self.ws).view(-1, self.ws * self.ws, 1)
        x = x + win_rev(self.attn(y, m, use_mask), B, H, W, self.ws).reshape(B, H * W, C)
        return x + self.ffn.layers(self.ln2(x))

class Merge(nn.Module):
    def __init__(self, c):
        super().__init__(); self.norm = nn.LayerNorm(4 * c); self.reduction = nn.Linear(4 * c, 2 * c, bias=False)
    def forward(self, x, res):
        B, L, C = x.shape
        x = F.unfold(x.view(B, res[0], res[1], C).permute(0, 3, 1, 2), 2, stride=2).transpose(1, 2)
        return self.reduction(self.norm(x))

class Layer(nn.Module):
    def __init__(self, d, res, depth, h, ws, down):
        super().__init__(); self.res = res
        self.blocks = nn.ModuleList([MBlock(d, res, h, ws) for _ in range(depth)])
        self.downsample = Merge(d) if down else None
    def forward(self, x, m, use_mask):
        for b in self.blocks: x = b(x, m, use_mask)
        return self.downsample(x, self.res) if self.downsample is not None else x

class PEmbed(nn.Module):
    def __init__(self, p, d):
        super().__init__(); self.projection = nn.Conv2d(3, d, p, p); self.norm = nn.LayerNorm(d)
    def forward(self, x): return self.norm(self.projection(x).flatten(2).transpose(1, 2))

class MixEncoder(nn.Module):
    def __init__(self, img=64, p=4, d=8, depths=(1, 1, 1, 1), heads=(1, 2, 2, 4), ws=(4, 4, 2, 2)):
        super().__init__()
        R = img // p; n = len(depths); self.stride = p * 2 ** (n - 1)
        self.patch_embed = PEmbed(p, d)
        self.absolute_pos_embed = nn.Parameter(torch.zeros(1, R * R, d), requires_grad=False)
        self.layers = nn.ModuleList([Layer(d * 2 ** i, (R >> i, R >> i), depths[i], heads[i], ws[i], i < n - 1) for i in range(n)])
        self.norm = nn.LayerNorm(d * 2 ** (n - 1))
    def forward(self, x, ratio=0.5, use_mask=True):
        B, C, H, W = x.shape
        oh, ow = H // self.stride, W // self.stride; L = oh * ow
        mask = torch.zeros([1, 1, L])
        noise = torch.rand(1, 1, L)
        mask.scatter_(2, torch.argsort(noise, dim=2)[:, :, :int(L * ratio)], 1)
        mask = mask.reshape(1, 1, oh, ow)
        ms = [F.interpolate(mask, size=(oh * f, ow * f), mode='nearest').reshape(1, -1, 1) for f in (8, 4, 2)]
        ms.append(mask.reshape(1, L, 1))
        t = self.patch_embed(x)
        t = t * (1 - ms[0]) + t.flip(0) * ms[0]
        t = t + self.absolute_pos_embed
        for i, layer in enumerate(self.layers): t = layer(t, ms[i], use_mask)
        return self.norm(t), ms[3]

class MixDecoder(nn.Module):
    def __init__(self, L=4, d_in=64, d=8, depth=1, h=2, stride=32):
        super().__init__()
        self.decoder_embed = nn.Linear(d_in, d)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, L, d), requires_grad=False)
        self.decoder_blocks = nn.ModuleList([Block(d, h) for _ in range(depth)])
        self.decoder_norm = nn.LayerNorm(d, eps=1e-6)
        self.decoder_pred = nn.Linear(d, stride * stride * 3)
    def forward(self, x, mask):
        x = self.decoder_embed(x); B, L, C = x.shape
        t = self.mask_token.expand(B, L, -1)
        x = torch.cat([x * (1 - mask) + t * mask, x * mask + t * (1 - mask)], 0) + self.decoder_pos_embed
        for b in self.decoder_blocks: x = b(x)
        return self.decoder_pred(self.decoder_norm(x))

class MixMIMRef(nn.Module):
    def __init__(self):
        super().__init__(); self.backbone = MixEncoder(); self.neck = MixDecoder()
    def forward(self, imgs, use_mask=True):
        latent, mask = self.backbone(imgs, use_mask=use_mask)
        rec = self.neck(latent, mask)
        target = patchify(imgs, 32)
        target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6) ** .5
        B = rec.shape[0] // 2
        unmixed = rec[:B] * mask + rec[B:].flip(0) * (1 - mask)
        return ((unmixed - target) ** 2).mean()

model = MixMIMRef()
sd = torch.load(D['state'])
for k, v in model.state_dict().items():
    if k.endswith('relative_position_index'): assert torch.equal(sd[k], v), k
model.load_state_dict(sd, strict=True)
model.train()
pert = copy.deepcopy(model)
torch.manual_seed(D['seed'])
loss = model(VIEWS[0])
torch.manual_seed(D['seed'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], use_mask=False).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
assert.ok(algo instanceof MixMIM);
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runSeededParity(algo, seededViews([64]), progress, PY, 3);

test('MixMIM: the loss equals the reference’s (without the cross-image attention mask it differs)', () => checkLoss(R));

test('MixMIM: every gradient equals PyTorch’s; the fixed position tables get none', (t) => {
  checkGrads(R);
  assert.ok(!R.trainable.includes('backbone.absolute_pos_embed') && !R.trainable.includes('neck.decoder_pos_embed'));
  assert.ok(R.trainable.includes('backbone.layers.0.blocks.0.attn.relative_position_bias_table'));
  t.diagnostic(summary(R));
});
