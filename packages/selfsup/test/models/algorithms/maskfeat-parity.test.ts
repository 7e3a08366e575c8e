/**
 * MaskFeat against a PyTorch re-statement of MMSelfSup 1.x's MaskFeat (Wei et al. 2022):
 * `MaskFeat.loss` (mmselfsup/models/algorithms/maskfeat.py), `MaskFeatViT.forward` (masked patch
 * embeddings replaced by the mask token, class token, position embedding, blocks, final norm),
 * `LinearNeck` applied per token, `HOGGenerator` on the preprocessed image, and
 * `MaskFeatPretrainHead` + `PixelReconstructionLoss('L2')` on the masked patches with the class
 * token dropped. The ViT is written out with timm's keys (our state dict); its attention is the
 * plain softmax(qkᵀ/√d)v. float64; see parity-reference.ts. One deviation from MMSelfSup's text: its
 * HOG histogram buffer is float32 whatever the input; here it takes the input's dtype (float64).
 */
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, MaskFeat, type TrainProgress } from '../../../src/index.js';
import {
  checkGrads,
  checkLoss,
  checkState,
  type PyResult,
  perturb,
  runParity,
  seededViews,
  summary,
  toFloat64,
} from './parity-reference.js';

const DIM = 16;
const cfg = {
  type: 'MaskFeat',
  backbone: { type: 'MaskFeatViT', embedDim: DIM, depth: 2, numHeads: 2, imgSize: 32, patchSize: 8 },
  neck: { type: 'LinearNeck', inChannels: DIM, outChannels: 108, withAvgPool: false },
  head: { type: 'MaskFeatPretrainHead', loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
  targetGenerator: { type: 'HOGGenerator', nbins: 9, pool: 4, gaussianWindow: 16, patchSize: 8 },
};

const PY = `
class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        attn = ((q @ k.transpose(-2, -1)) * (C // self.heads) ** -0.5).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))

class Mlp(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))

class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6)
        self.attn = Attention(d, heads)
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = Mlp(d)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))

class PatchEmbed(nn.Module):
    def __init__(self, p, d):
        super().__init__()
        self.proj = nn.Conv2d(3, d, p, p)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)

class MaskFeatViT(nn.Module):
    def __init__(self, d, depth, heads, p, img):
        super().__init__()
        L = (img // p) ** 2
        self.patch_embed = PatchEmbed(p, d)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + L, d))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        self.blocks = nn.Sequential(*[Block(d, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=1e-6)

    def forward(self, x, mask):
        x = self.patch_embed(x)
        B, L, _ = x.shape
        mask_tokens = self.mask_token.expand(B, L, -1)
        mask = mask.flatten(1).unsqueeze(-1)
        x = x * (1 - mask.int()) + mask_tokens * mask
        x = torch.cat((self.cls_token.expand(B, -1, -1), x), dim=1) + self.pos_embed
        return self.norm(self.blocks(x))

class LinearNeck(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.fc = nn.Linear(cin, cout)

    def forward(self, x):
        return [self.fc(x[0])]

class HOGGenerator(nn.Module):
    """MMSelfSup's HOGGenerator (buffers from the state dict); cells per patch = patch / pool."""
    def __init__(self, nbins, pool, gaussian_window, patch):
        super().__init__()
        self.nbins, self.pool, self.gw, self.unfold = nbins, pool, gaussian_window, patch // pool
        self.register_buffer('weight_x', torch.zeros(3, 1, 3, 3))
        self.register_buffer('weight_y', torch.zeros(3, 1, 3, 3))
        self.register_buffer('gaussian_kernel', torch.zeros(gaussian_window, gaussian_window))

    @torch.no_grad()
    def forward(self, x):
        x = F.pad(x, pad=(1, 1, 1, 1), mode='reflect')
        gx = F.conv2d(x, self.weight_x, bias=None, stride=1, padding=0, groups=3)
        gy = F.conv2d(x, self.weight_y, bias=None, stride=1, padding=0, groups=3)
        norm = torch.stack([gx, gy], dim=-1).norm(dim=-1)
        phase = torch.atan2(gx, gy) / math.pi * self.nbins
        b, c, h, w = norm.shape
        out = torch.zeros((b, c, self.nbins, h, w), dtype=x.dtype)
        phase = phase.view(b, c, 1, h, w)
        norm = norm.view(b, c, 1, h, w)
        k = self.gaussian_kernel if h == self.gw else self.gaussian_kernel.repeat([h // self.gw, h // self.gw])
        norm = norm * k
        out.scatter_add_(2, phase.floor().long() % self.nbins, norm)
        out = out.unfold(3, self.pool, self.pool).unfold(4, self.pool, self.pool).sum(dim=[-1, -2])
        out = F.normalize(out, p=2, dim=2)
        f = out.flatten(1, 2)
        u = self.unfold
        return f.permute(0, 2, 3, 1).unfold(1, u, u).unfold(2, u, u).flatten(1, 2).flatten(2)

def pixel_reconstruction_l2(pred, target, mask):
    loss = F.mse_loss(pred, target, reduction='none').mean(dim=-1)
    return (loss * mask).sum() / mask.sum()

class MaskFeat(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = MaskFeatViT(16, 2, 2, 8, 32)
        self.neck = LinearNeck(16, 108)
        self.target_generator = HOGGenerator(9, 4, 16, 8)

    def forward(self, img, mask, drop=lambda p: p[:, 1:]):
        mask = mask.to(torch.bool)
        latent = self.backbone(img, mask)
        B, L, C = latent.shape
        pred = self.neck([latent.view(B * L, C)])[0].view(B, L, -1)
        hog = self.target_generator(img)
        return pixel_reconstruction_l2(drop(pred), hog, mask.flatten(1).bool())   # MaskFeatPretrainHead

model = build(MaskFeat())
mask = torch.load(D['views'])['masks'][0]
with torch.no_grad():
    # The class token kept and the last patch dropped: an off-by-one the comparison must catch.
    perturbed = model(VIEWS[0], mask, drop=lambda p: p[:, :-1]).item()
loss = model(VIEWS[0], mask)
OUT = finish(model, loss, {'perturbed': perturbed, 'masked': int(mask.sum())})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', MaskFeat, 'test'));
// Non-trivial LayerNorm affines and biases (they start at 1/0).
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const views = seededViews([32]);
// A 4×4 patch mask per image: image 0 has 6 masked patches, image 3 none (it adds no term).
const masks = [
  torch
    .tensor(
      [
        [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      ],
      { shape: [4, 4, 4] },
    )
    .gt(0),
];
const R = runParity<PyResult & { masked: number }>(algo, views, progress, PY, {}, masks);

test('MaskFeat: the loss equals MMSelfSup’s masked HOG regression (class token dropped, L2 over masked patches)', (t) => {
  checkLoss(R);
  t.diagnostic(`loss ${R.loss} over ${R.ref.masked} masked patches`);
});

test('MaskFeat: the gradient of every trainable parameter (mask token, ViT, neck) equals PyTorch’s', () => checkGrads(R));

test('MaskFeat: the state after the call (HOG buffers included) equals PyTorch’s', (t) => {
  checkState(R);
  t.diagnostic(summary(R));
});
