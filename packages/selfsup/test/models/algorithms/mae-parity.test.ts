/**
 * MAE against a PyTorch re-statement of the official MAE / MMSelfSup 1.x MAE (He et al. 2022): a
 * timm-style ViT encoder that keeps ⌊L·(1 − 0.75)⌋ patches chosen by argsort of per-sample
 * `torch.rand(N, L)` noise (same seed on both sides), the decoder (embed, mask tokens, unshuffle
 * with ids_restore, position table, blocks, norm, prediction without the class token), and the
 * per-patch normalised pixel target with the mean squared error over removed patches. float64;
 * see parity-reference.ts. A second case loads MMSelfSup-named weights into the decoder.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, type AlgorithmInput, MAE, type TrainProgress } from '../../../src/index.js';
import { convertMMSelfSupMAEDecoderKeys } from '../../../src/models/necks/mae-pretrain-decoder.js';
import { checkGrads, checkLoss, type PyResult, perturb, runParity, seededViews, summary, toFloat64 } from './parity-reference.js';

const cfg = {
  type: 'MAE',
  backbone: { type: 'MAEViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 2, numHeads: 2 },
  neck: {
    type: 'MAEPretrainDecoder',
    numPatches: 16,
    patchSize: 4,
    embedDim: 16,
    decoderEmbedDim: 8,
    decoderDepth: 2,
    decoderNumHeads: 2,
  },
  head: { type: 'MAEPretrainHead', normPix: true, patchSize: 4 },
};

/** A timm-style ViT block and the MAE model, written from the paper and the official release. */
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
    def forward(self, imgs, ratio=0.75, norm_pix=True):
        latent, mask, ids_restore = self.backbone(imgs, ratio)
        pred = self.neck(latent, ids_restore)
        target = patchify(imgs, self.p)
        if norm_pix:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1.e-6) ** .5
        loss = ((pred - target) ** 2).mean(dim=-1)
        return (loss * mask).sum() / mask.sum()
`;

const PY = `${PY_MAE}
model = build(MAE())
pert = copy.deepcopy(model)
torch.manual_seed(D['seed'])
loss = model(VIEWS[0])
torch.manual_seed(D['seed'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], norm_pix=False).item()})
`;

const SEED = 7;
torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
assert.ok(algo instanceof MAE);
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
// The encoder's masking draws torch.rand(N, L) from the default generator: seed both sides alike.
const views = seededViews([16]);
const runSeeded = () => {
  const loss = algo.loss.bind(algo);
  algo.loss = (batch: AlgorithmInput) => {
    torch.manualSeed(SEED);
    return loss(batch);
  };
  try {
    return runParity<PyResult>(algo, views, progress, PY, { seed: SEED });
  } finally {
    algo.loss = loss;
  }
};
const R = runSeeded();

test('MAE: the loss equals the reference’s (random masking, decoder, normalised-pixel MSE on removed patches)', () =>
  checkLoss(R));

test('MAE: the gradient of every trainable parameter equals PyTorch’s; the fixed position tables get none', (t) => {
  checkGrads(R);
  assert.ok(!R.trainable.includes('backbone.pos_embed') && !R.trainable.includes('neck.decoder_pos_embed'));
  t.diagnostic(summary(R));
});

test('MAE: MMSelfSup-named decoder weights (ln1, ffn.layers) load strictly, each into its own parameter', () => {
  const sd = Object.fromEntries(Object.entries(algo.neck.stateDict()).map(([k, v]) => [k, v.detach().clone()]));
  const mm: Record<string, torch.Tensor> = {};
  for (const [k, v] of Object.entries(sd)) {
    const key = k
      .replace(/\.norm1\./, '.ln1.')
      .replace(/\.norm2\./, '.ln2.')
      .replace(/\.mlp\.fc1\./, '.ffn.layers.0.0.')
      .replace(/\.mlp\.fc2\./, '.ffn.layers.1.')
      .replace(/^decoder_norm\./, 'ln1.');
    mm[key] = v.add(0.01);
  }
  assert.ok('ln1.weight' in mm && 'decoder_blocks.0.ffn.layers.0.0.weight' in mm, 'the MMSelfSup names were made');
  torch.noGrad(() => algo.neck.loadStateDict(convertMMSelfSupMAEDecoderKeys(mm), { strict: true }));
  for (const [k, v] of Object.entries(algo.neck.stateDict())) {
    assert.ok(v.sub(sd[k]).sub(0.01).abs().max().item() < 1e-12, `${k} loaded from its MMSelfSup name`);
  }
});
