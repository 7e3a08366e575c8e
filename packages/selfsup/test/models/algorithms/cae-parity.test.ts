/**
 * CAE against a PyTorch re-statement of MMSelfSup 1.x written here from its source
 * (`mmselfsup/models/algorithms/cae.py`, `backbones/cae_vit.py`, `necks/cae_neck.py`,
 * `heads/cae_head.py`, `losses/cae_loss.py`, `utils/transformer_blocks.py`'s
 * `CAETransformerRegressorLayer`, `CrossMultiheadAttention`, `TransformerEncoderLayer`): the encoder
 * on the visible patches, the teacher on the masked ones (then its momentum update), the regressor's
 * cross-attention and the decoder, CE against a seeded random tiny DALL-E's argmax ids of the second
 * view (normalised as `CAEDataPreprocessor`: x/255·0.8 + 0.1) plus λ·MSE alignment. The neck is
 * written with MMSelfSup's module names, so loading selfsup's state dict strictly checks its keys.
 * Parameters (the teacher too, so it differs from the backbone) are perturbed; float64, 1e-8.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, CAE, type TrainProgress } from '../../../src/index.js';
import { py } from '../../helpers.js';
import { PY_BEIT } from './beit-reference.js';
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

const dir = mkdtempSync(join(tmpdir(), 'selfsup-cae-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DIM = 16;
const DALLE = { nHid: 8, nBlkPerGroup: 1, vocabSize: 16 };
const PRE = {
  mean: [124, 117, 104],
  std: [59, 58, 58],
  secondMean: [-31.875, -31.875, -31.875],
  secondStd: [318.75, 318.75, 318.75],
};
const MOMENTUM = 0.75;
const LAMBD = 2;
const TOK = join(dir, 'dalle.pth');
py(`${PY_BEIT}\nmake_tokenizer('dalle', D['dalle'], D['path'], 11)\nOUT = 0`, { dalle: DALLE, path: TOK });

/** 6 of the 16 patches of a 4×4 grid masked in every image (MMSelfSup reshapes to a fixed count). */
const masks = [
  torch
    .tensor(
      [
        [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0],
        [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1],
      ],
      { shape: [4, 4, 4] },
    )
    .gt(0),
];
const progress: TrainProgress = { epoch: 0, iter: 3, maxEpochs: 1, maxIters: 10 };

const PY_CAE = `
_M2 = torch.tensor(D['mean2'], dtype=torch.float32).view(1, -1, 1, 1)
_S2 = torch.tensor(D['std2'], dtype=torch.float32).view(1, -1, 1, 1)
TIMG = ((_BATCH['views'][1].float() - _M2) / _S2).double()
MASK = MASKS[0].flatten(1).to(torch.bool)

def sincos(n, d, temperature=10000.):
    """MMSelfSup's build_2d_sincos_position_embedding(n, d, cls_token=True)."""
    gw, gh = torch.meshgrid(torch.arange(n, dtype=torch.float32), torch.arange(n, dtype=torch.float32))
    pos_dim = d // 4
    omega = 1. / (temperature ** (torch.arange(pos_dim, dtype=torch.float32) / pos_dim))
    ow = torch.einsum('m,d->md', [gw.flatten(), omega])
    oh = torch.einsum('m,d->md', [gh.flatten(), omega])
    pe = torch.cat([torch.sin(ow), torch.cos(ow), torch.sin(oh), torch.cos(oh)], dim=1)[None]
    return torch.cat([torch.zeros(1, 1, d), pe], dim=1)

class Encoder(BEiTViT):
    """CAEViT: q/v-bias layer-scale blocks, fixed pos_embed, visible patches only."""
    def __init__(self):
        super().__init__(16, 2, 2, 8, 32, shared=False, abs_pos=True, ls=0.1, mask_token=False)
        self.pos_embed.requires_grad = False

    def forward(self, img, mask):
        x = self.patch_embed(img)
        B, L, C = x.shape
        xu = torch.cat((self.cls_token.expand(B, -1, -1), x[~mask].reshape(B, -1, C)), dim=1)
        pe = self.pos_embed.expand(B, L + 1, C)
        peu = torch.cat((pe[:, :1], pe[:, 1:][~mask].reshape(B, -1, C)), dim=1)
        xu = xu + peu
        for layer in self.blocks:
            xu = layer(xu)
        return self.norm(xu)

def ffn(d):
    return nn.Sequential(nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Dropout(0.)), nn.Linear(4 * d, d), nn.Dropout(0.))

class FFN(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.layers = ffn(d)

    def forward(self, x):
        return self.layers(x)

class CrossAttn(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.scale = (d // heads) ** -0.5
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(d))
        self.v_bias = nn.Parameter(torch.zeros(d))
        self.proj = nn.Linear(d, d)

    def forward(self, x, k, v):
        B, N, _ = x.shape
        q = F.linear(x, self.q.weight, self.q_bias)
        k = F.linear(k, self.k.weight, torch.zeros_like(self.v_bias, requires_grad=False))
        v = F.linear(v, self.v.weight, self.v_bias)
        q = q.reshape(B, N, 1, self.heads, -1).permute(2, 0, 3, 1, 4).squeeze(0)
        k = k.reshape(B, k.shape[1], 1, self.heads, -1).permute(2, 0, 3, 1, 4).squeeze(0)
        v = v.reshape(B, v.shape[1], 1, self.heads, -1).permute(2, 0, 3, 1, 4).squeeze(0)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, -1))

class Regressor(nn.Module):
    def __init__(self, d, heads, ls):
        super().__init__()
        self.norm1_q_cross = nn.LayerNorm(d, eps=1e-6)
        self.norm1_k_cross = nn.LayerNorm(d, eps=1e-6)
        self.norm1_v_cross = nn.LayerNorm(d, eps=1e-6)
        self.norm2_cross = nn.LayerNorm(d, eps=1e-6)
        self.cross_attn = CrossAttn(d, heads)
        self.ffn = FFN(d)
        self.gamma_1_cross = nn.Parameter(ls * torch.ones(d))
        self.gamma_2_cross = nn.Parameter(ls * torch.ones(d))

    def forward(self, x_q, x_kv, pos_q, pos_k):
        x = x_q + self.gamma_1_cross * self.cross_attn(
            self.norm1_q_cross(x_q + pos_q), k=self.norm1_k_cross(x_kv + pos_k), v=self.norm1_v_cross(x_kv))
        x = self.norm2_cross(x)
        return x + self.gamma_2_cross * self.ffn(x)

class SelfAttn(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d, bias=True)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1)) * (C // self.heads) ** -0.5
        return self.proj((attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, C))

class Decoder(nn.Module):
    def __init__(self, d, heads, ls):
        super().__init__()
        self.ln1 = nn.LayerNorm(d, eps=1e-6)
        self.attn = SelfAttn(d, heads)
        self.ln2 = nn.LayerNorm(d, eps=1e-6)
        self.ffn = FFN(d)
        self.gamma_1 = nn.Parameter(ls * torch.ones(d))
        self.gamma_2 = nn.Parameter(ls * torch.ones(d))

    def forward(self, x):
        x = x + self.gamma_1 * self.attn(self.ln1(x))
        return x + self.gamma_2 * self.ffn(self.ln2(x))

class Neck(nn.Module):
    def __init__(self, d, heads, rd, dd, classes, m, ls):
        super().__init__()
        self.mask_token_num = m
        self.regressors = nn.ModuleList([Regressor(d, heads, ls) for _ in range(rd)])
        self.decoders = nn.ModuleList([Decoder(d, heads, ls) for _ in range(dd)])
        self.norm_regressor = nn.LayerNorm(d, eps=1e-6)
        self.norm_decoder = nn.LayerNorm(d, eps=1e-6)
        self.head = nn.Linear(d, classes)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))

    def forward(self, x_unmasked, pos_embed_masked, pos_embed_unmasked):
        x_masked = self.mask_token.expand(x_unmasked.shape[0], self.mask_token_num, -1)
        for r in self.regressors:
            x_masked = r(x_masked, torch.cat([x_unmasked, x_masked], dim=1), pos_embed_masked,
                         torch.cat([pos_embed_unmasked, pos_embed_masked], dim=1))
        latent_pred = self.norm_regressor(x_masked)
        x = latent_pred + pos_embed_masked
        for d in self.decoders:
            x = d(x)
        return self.head(self.norm_decoder(x)), latent_pred

class CAERef(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Encoder()
        self.neck = Neck(16, 2, 2, 1, 16, 6, 0.1)
        self.target_generator = build_tokenizer('dalle', D['tok'])
        self.target_generator.requires_grad_(False)
        self.teacher = Encoder()
        self.teacher.requires_grad_(False)

    def forward(self, img, timg, mask, lambd):
        unmasked = self.backbone(img, mask)
        with torch.no_grad():
            latent_target = self.teacher(img, ~mask)[:, 1:, :]
            for pb, pt in zip(self.backbone.parameters(), self.teacher.parameters()):
                pt.data = pt.data * D['m'] + pb.data * (1. - D['m'])
        B = img.shape[0]
        pe = self.backbone.pos_embed.expand(B, -1, -1)
        pem = pe[:, 1:][mask].reshape(B, -1, pe.shape[-1])
        peu = pe[:, 1:][~mask].reshape(B, -1, pe.shape[-1])
        logits, latent_pred = self.neck(unmasked[:, 1:], pem, peu)
        logits = logits.view(-1, logits.shape[-1])
        with torch.no_grad():
            target = torch.argmax(self.target_generator(timg), dim=1).flatten(1)[mask]
        main = F.cross_entropy(logits, target)
        align = F.mse_loss(latent_pred, latent_target.detach()) * lambd
        return main + align, main.item(), align.item()

model = build(CAERef())
pos_err = (model.backbone.pos_embed - sincos(4, 16).double()).abs().max().item()
teacher0 = {k: v.clone() for k, v in model.teacher.state_dict().items()}
with torch.no_grad():
    # λ halved: a different alignment weight must not match.
    perturbed = model(VIEWS[0], TIMG, MASK, D['lambd'] / 2)[0].item()
model.teacher.load_state_dict(teacher0)
loss, main, align = model(VIEWS[0], TIMG, MASK, D['lambd'])
OUT = finish(model, loss, {'perturbed': perturbed, 'main': main, 'align': align, 'pos_err': pos_err})
`;

function run() {
  const cfg = {
    type: 'CAE',
    dataPreprocessor: PRE,
    baseMomentum: MOMENTUM,
    backbone: { type: 'CAEViT', embedDim: DIM, depth: 2, numHeads: 2, imgSize: 32, patchSize: 8, layerScaleInit: 0.1 },
    neck: {
      type: 'CAENeck',
      patchSize: 8,
      numClasses: 16,
      embedDims: DIM,
      numHeads: 2,
      regressorDepth: 2,
      decoderDepth: 1,
      layerScaleInit: 0.1,
      maskTokensNum: 6,
    },
    head: { type: 'CAEHead', loss: { type: 'CAELoss', lambd: LAMBD } },
    targetGenerator: { type: 'DALL-E', tokenizerPath: TOK, ...DALLE },
  };
  torch.manualSeed(0);
  const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', CAE, 'test'));
  // Every parameter (the frozen teacher too) but the tokenizer and the fixed sine-cosine tables.
  perturb(algo, 0.05, 1, (k) => k.startsWith('target_generator.') || k.endsWith('pos_embed'));
  const views = seededViews([32, 32]);
  return {
    algo,
    r: runParity<PyResult & { main: number; align: number; pos_err: number }>(
      algo,
      views,
      progress,
      `${PY_BEIT}\n${PY_CAE}`,
      { tok: DALLE, mean2: PRE.secondMean, std2: PRE.secondStd, m: MOMENTUM, lambd: LAMBD },
      masks,
    ),
  };
}

const { r: R } = run();

test('CAE: the loss is MMSelfSup’s CE on DALL-E ids + λ·MSE alignment, each term equal', (t) => {
  checkLoss(R);
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-8 * (1 + Math.abs(b));
  assert.ok(close(R.logs.main, R.ref.main), `main ${R.logs.main} vs ${R.ref.main}`);
  assert.ok(close(R.logs.align, R.ref.align), `align ${R.logs.align} vs ${R.ref.align}`);
  assert.ok(R.ref.align > 1e-6, 'the teacher differs from the backbone, so the alignment term is not zero');
  t.diagnostic(`loss ${R.loss} = main ${R.logs.main} + align ${R.logs.align}`);
});

test('CAE: every trainable gradient equals PyTorch’s; pos_embed, teacher and tokenizer are frozen', (t) => {
  checkGrads(R);
  for (const k of R.trainable) assert.ok(!/^(teacher|target_generator)\.|pos_embed$/.test(k), `${k} should be frozen`);
  assert.ok(R.trainable.includes('neck.regressors.1.cross_attn.q_bias'));
  assert.ok(R.trainable.includes('backbone.blocks.0.attn.v_bias'));
  t.diagnostic(summary(R));
});

test("CAE: the teacher after the call is MMSelfSup's momentum update m·teacher + (1 − m)·backbone", (t) => {
  checkState(R, (k) => k.startsWith('teacher.'));
  // Independently: the before/after relation on one weight, from the state dicts.
  const k = 'blocks.1.mlp.fc2.weight';
  const before = R.after[`backbone.${k}`]; // the backbone is not stepped by loss()
  const teacherAfter = R.after[`teacher.${k}`];
  assert.ok(teacherAfter.sub(before).abs().max().item() > 1e-4, 'the teacher keeps m of its own weights');
  t.diagnostic(`state after: max |diff| ${R.diffs.state.toExponential(2)}`);
});

test("CAEViT's fixed position embedding is MMSelfSup's 2-D sine-cosine table (class row zero)", () => {
  assert.ok(R.ref.pos_err < 1e-6, `pos_embed vs build_2d_sincos_position_embedding: ${R.ref.pos_err}`);
});
