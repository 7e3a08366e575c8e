/**
 * MILAN against a PyTorch restatement of MMSelfSup 1.x's `MILAN` (MILANViT's `torch.multinomial`
 * masking by the CLIP class token's attention, the prompting decoder as MMSelfSup writes it — keys
 * restored to patch order — and 2 − 2·cos over all 1 + L tokens) with a seeded random tiny CLIP
 * teacher: loss and every gradient, float64. Both sides draw the multinomial from the same seed.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, MILAN, type TrainProgress } from '../../../src/index.js';
import { PY_CLIP, writeRandomClip } from '../target-generators/clip-teacher.js';
import { PY_MAE, runSeededParity } from './mae-reference.js';
import { checkGrads, checkLoss, perturb, seededViews, summary, toFloat64 } from './parity-reference.js';

const teacher = writeRandomClip({ imgSize: 16, patchSize: 4, embedDim: 12, depth: 2, numHeads: 3, outputDim: 6 }, 9);
test.after(() => rmSync(dirname(teacher), { recursive: true, force: true }));

const cfg = {
  type: 'MILAN',
  backbone: { type: 'MILANViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 2, numHeads: 2 },
  neck: {
    type: 'MILANPretrainDecoder',
    numPatches: 16,
    patchSize: 4,
    embedDim: 16,
    decoderEmbedDim: 8,
    decoderDepth: 2,
    decoderNumHeads: 2,
    predictFeatureDim: 6,
  },
  head: { type: 'MILANPretrainHead', loss: { type: 'CosineSimilarityLoss', shiftFactor: 2, scaleFactor: 2 } },
  targetGenerator: {
    type: 'CLIPGenerator',
    tokenizerPath: teacher,
    imgSize: 16,
    patchSize: 4,
    embedDim: 12,
    depth: 2,
    numHeads: 3,
    outputDim: 6,
  },
};

const PY = `${PY_MAE}
${PY_CLIP}
class MILANEncoder(Encoder):
    def forward(self, x, importance, ratio=0.75):
        x = self.patch_embed(x) + self.pos_embed[:, 1:, :]
        N, L, D = x.shape
        keep = int(L * (1 - ratio))
        ids_shuffle = torch.multinomial(importance, L, replacement=False)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep, ids_dump = ids_shuffle[:, :keep], ids_shuffle[:, keep:]
        x = torch.gather(x, 1, ids_keep.unsqueeze(-1).repeat(1, 1, D))
        x = torch.cat([(self.cls_token + self.pos_embed[:, :1, :]).expand(N, -1, -1), x], 1)
        for b in self.blocks: x = b(x)
        return self.norm(x), ids_restore, ids_keep, ids_dump

class PromptAttention(nn.Module):
    def __init__(self, d, h):
        super().__init__(); self.h = h
        self.q = nn.Linear(d, d); self.kv = nn.Linear(d, 2 * d); self.proj = nn.Linear(d, d)
    def forward(self, x, visible, ids_restore):
        x_ = torch.cat([visible[:, 1:, :], x], 1)
        x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[-1]))
        x_ = torch.cat([visible[:, :1, :], x_], 1)
        B, M, C = x.shape
        q = self.q(x).reshape(B, M, self.h, C // self.h).permute(0, 2, 1, 3)
        k, v = self.kv(x_).reshape(B, x_.shape[1], 2, self.h, C // self.h).permute(2, 0, 3, 1, 4)
        a = ((q @ k.transpose(-2, -1)) * (C // self.h) ** -0.5).softmax(-1)
        return self.proj((a @ v).transpose(1, 2).reshape(B, M, C))

class PromptBlock(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6); self.attn = PromptAttention(d, h)
        self.norm2 = nn.LayerNorm(d, eps=1e-6); self.mlp = Mlp(d)
    def forward(self, x, visible, ids_restore):
        x = x + self.attn(self.norm1(x), visible, ids_restore)
        return x + self.mlp(self.norm2(x))

class MILANDecoder(nn.Module):
    def __init__(self, L, d_in, d, depth, h, out):
        super().__init__()
        self.decoder_embed = nn.Linear(d_in, d)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, L + 1, d), requires_grad=False)
        self.decoder_blocks = nn.ModuleList([PromptBlock(d, h) for _ in range(depth)])
        self.decoder_norm = nn.LayerNorm(d, eps=1e-6)
        self.decoder_pred = nn.Linear(d, out)
    def forward(self, x, ids_restore, ids_keep, ids_dump):
        x = self.decoder_embed(x)
        m = self.mask_token.repeat(x.shape[0], ids_restore.shape[1] + 1 - x.shape[1], 1)
        y = torch.gather(torch.cat([x[:, 1:, :], m], 1), 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], y], 1) + self.decoder_pos_embed
        visible = torch.cat([x[:, :1, :], torch.gather(x[:, 1:, :], 1, ids_keep.unsqueeze(-1).repeat(1, 1, x.shape[-1]))], 1)
        x = torch.gather(x[:, 1:, :], 1, ids_dump.unsqueeze(-1).repeat(1, 1, x.shape[-1]))
        for b in self.decoder_blocks: x = b(x, visible, ids_restore)
        y = torch.gather(torch.cat([visible[:, 1:, :], x], 1), 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[-1]))
        return self.decoder_pred(self.decoder_norm(torch.cat([visible[:, :1, :], y], 1)))

class MILAN(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = MILANEncoder(4, 16, 2, 2, 16)
        self.neck = MILANDecoder(16, 16, 8, 2, 2, 6)
        self.target_generator = ClipGenerator(16, 4, 12, 2, 3, 6)
    def forward(self, imgs, with_cls=True):
        clip, attn = self.target_generator(imgs)
        latent, ids_restore, ids_keep, ids_dump = self.backbone(imgs, attn[:, 0, 1:])
        pred = self.neck(latent, ids_restore, ids_keep, ids_dump)
        loss = 2 - 2 * F.cosine_similarity(pred, clip, dim=-1)
        return loss.mean() if with_cls else loss[:, 1:].mean()

model = build(MILAN())
pert = copy.deepcopy(model)
torch.manual_seed(D['seed'])
loss = model(VIEWS[0])
torch.manual_seed(D['seed'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], with_cls=False).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
assert.ok(algo instanceof MILAN);
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runSeededParity(algo, seededViews([16]), progress, PY, 11);

test('MILAN: the loss equals the reference’s 2 − 2·cos over all tokens (patches only differs)', () => checkLoss(R));

test('MILAN: every gradient equals PyTorch’s; the teacher has none', (t) => {
  checkGrads(R);
  assert.ok(R.trainable.every((k) => !k.startsWith('target_generator.')));
  t.diagnostic(summary(R));
});
