/**
 * A PyTorch MAE written from the paper and the official release (timm-style ViT encoder with
 * per-sample random masking from `torch.rand(N, L)` in float32, decoder, normalised-pixel MSE on
 * removed patches), shared by the MAE-family parity tests. Runs after parity-reference.ts's PY_COMMON.
 */
import * as torch from '@selfsup/torch';
import type { Algorithm, AlgorithmInput, TrainProgress } from '../../../src/index.js';
import { type ParityResult, type PyResult, runParity } from './parity-reference.js';

/**
 * \`runParity\` with the default generator seeded with \`seed\` right before selfsup's loss (the
 * encoder's masking draws from it); the Python side seeds \`torch.manual_seed(D['seed'])\` itself.
 */
export function runSeededParity(
  algo: Algorithm,
  views: torch.Tensor[],
  progress: TrainProgress,
  python: string,
  seed: number,
): ParityResult<PyResult> {
  const loss = algo.loss.bind(algo);
  algo.loss = (batch: AlgorithmInput, p?: TrainProgress) => {
    torch.manualSeed(seed);
    return loss(batch, p);
  };
  try {
    return runParity<PyResult>(algo, views, progress, python, { seed });
  } finally {
    algo.loss = loss;
  }
}

export const PY_MAE = `
class Attention(nn.Module):
    def __init__(self, d, h):
        super().__init__(); self.h = h
        self.qkv = nn.Linear(d, 3 * d); self.proj = nn.Linear(d, d)
    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.h, C // self.h).permute(2, 0, 3, 1, 4).unbind(0)
        a = (q @ k.transpose(-2, -1)) * (C // self.h) ** -0.5
        return self.proj((a.softmax(-1) @ v).transpose(1, 2).reshape(B, N, C))

class Mlp(nn.Module):
    def __init__(self, d):
        super().__init__(); self.fc1 = nn.Linear(d, 4 * d); self.act = nn.GELU(); self.fc2 = nn.Linear(4 * d, d)
    def forward(self, x): return self.fc2(self.act(self.fc1(x)))

class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6); self.attn = Attention(d, h)
        self.norm2 = nn.LayerNorm(d, eps=1e-6); self.mlp = Mlp(d)
    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))

class PatchEmbed(nn.Module):
    def __init__(self, p, d):
        super().__init__(); self.proj = nn.Conv2d(3, d, p, p)
    def forward(self, x): return self.proj(x).flatten(2).transpose(1, 2)

class Encoder(nn.Module):
    def __init__(self, p, d, depth, h, L):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, L + 1, d), requires_grad=False)
        self.patch_embed = PatchEmbed(p, d)
        self.blocks = nn.ModuleList([Block(d, h) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=1e-6)
    def forward(self, x, ratio):
        x = self.patch_embed(x) + self.pos_embed[:, 1:, :]
        N, L, D = x.shape
        keep = int(L * (1 - ratio))
        noise = torch.rand(N, L, dtype=torch.float32)
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        x = torch.gather(x, 1, ids_shuffle[:, :keep].unsqueeze(-1).repeat(1, 1, D))
        mask = torch.ones(N, L); mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(N, -1, -1)
        x = torch.cat([cls, x], 1)
        for b in self.blocks: x = b(x)
        return self.norm(x), mask, ids_restore

class Decoder(nn.Module):
    def __init__(self, L, p, d_in, d, depth, h):
        super().__init__()
        self.decoder_embed = nn.Linear(d_in, d)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, L + 1, d), requires_grad=False)
        self.decoder_blocks = nn.ModuleList([Block(d, h) for _ in range(depth)])
        self.decoder_norm = nn.LayerNorm(d, eps=1e-6)
        self.decoder_pred = nn.Linear(d, p * p * 3)
    def forward(self, x, ids_restore):
        x = self.decoder_embed(x)
        m = self.mask_token.repeat(x.shape[0], ids_restore.shape[1] + 1 - x.shape[1], 1)
        y = torch.cat([x[:, 1:, :], m], 1)
        y = torch.gather(y, 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], y], 1) + self.decoder_pos_embed
        for b in self.decoder_blocks: x = b(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:, :]

def patchify(imgs, p):
    n, c, H, W = imgs.shape
    x = imgs.reshape(n, c, H // p, p, W // p, p)
    x = torch.einsum('nchpwq->nhwpqc', x)
    return x.reshape(n, (H // p) * (W // p), p * p * c)

class MAE(nn.Module):
    def __init__(self, img=16, p=4, d=16, depth=2, h=2, dd=8, ddepth=2, dh=2):
        super().__init__()
        L = (img // p) ** 2; self.p = p
        self.backbone = Encoder(p, d, depth, h, L)
        self.neck = Decoder(L, p, d, dd, ddepth, dh)
    def forward(self, imgs, ratio=0.75, norm_pix=True, target_imgs=None):
        latent, mask, ids_restore = self.backbone(imgs, ratio)
        pred = self.neck(latent, ids_restore)
        target = patchify(imgs if target_imgs is None else target_imgs, self.p)
        if norm_pix:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1.e-6) ** .5
        loss = ((pred - target) ** 2).mean(dim=-1)
        return (loss * mask).sum() / mask.sum()
`;
