/**
 * MoCo v3 with MoCoV3ViT (Chen et al. 2021) against a PyTorch re-statement of MMSelfSup 1.x's
 * MoCoV3 + MoCoV3ViT + the ViT recipe's necks: a tiny ViT (timm-style blocks, as mmcls's) whose
 * patch projection and position table have `requires_grad = False` (`stop_grad_conv1`, the fixed
 * sine-cosine table); its output is mmcls's `[patch_map, cls_token]` of which NonLinearNeck with
 * `vit_backbone=True` takes the class token (`x[0][-1]`); a 3-layer projector; the predictor with a
 * last BN; CosineEMA over every parameter of backbone + neck (the frozen ones included, as
 * mmengine's EMA averages all parameters); L = head(q₁, k₂) + head(q₂, k₁) × 2τ. float64; see
 * parity-reference.ts. The momentum encoder is perturbed, its frozen tensors too, so the EMA of
 * frozen parameters is checked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, MoCoV3, type TrainProgress } from '../../../src/index.js';
import { PY_MAE } from './mae-reference.js';
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

const TEMPERATURE = 0.2;
const BASE_MOMENTUM = 0.9;
const D = 16;
const mlp = { withBias: false, withLastBn: true, withLastBnAffine: false, withAvgPool: false };
const cfg = {
  type: 'MoCoV3',
  backbone: { type: 'MoCoV3ViT', embedDim: D, depth: 2, numHeads: 2, patchSize: 4, imgSize: 16, stopGradConv1: true },
  neck: { type: 'NonLinearNeck', inChannels: D, hidChannels: 32, outChannels: 16, numLayers: 3, vitBackbone: true, ...mlp },
  head: {
    type: 'MoCoV3Head',
    predictor: { type: 'NonLinearNeck', inChannels: 16, hidChannels: 32, outChannels: 16, numLayers: 2, ...mlp },
    temperature: TEMPERATURE,
  },
  baseMomentum: BASE_MOMENTUM,
};

const PY = `${PY_MAE}
class MoCoV3ViT(nn.Module):
    def __init__(self, p=4, d=${D}, depth=2, h=2, L=16):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, L + 1, d), requires_grad=False)
        self.patch_embed = PatchEmbed(p, d)
        # stop_grad_conv1
        self.patch_embed.proj.weight.requires_grad = False
        self.patch_embed.proj.bias.requires_grad = False
        self.blocks = nn.ModuleList([Block(d, h) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=1e-6)

    def forward(self, x):
        n = x.shape[0]
        t = self.patch_embed(x)
        t = torch.cat([self.cls_token.expand(n, -1, -1), t], 1) + self.pos_embed
        for b in self.blocks:
            t = b(t)
        t = self.norm(t)
        g = int((t.shape[1] - 1) ** 0.5)
        patch = t[:, 1:].reshape(n, g, g, -1).permute(0, 3, 1, 2)
        return [[patch, t[:, 0]]]   # mmcls: out_type with output_cls_token

class ViTNeck(NonLinearNeck):
    def forward(self, x):
        return super().forward([x[0][-1]])   # vit_backbone=True: the class token

def projector():
    return ViTNeck(${D}, 32, 16, num_layers=3, with_bias=False, with_last_bn=True,
                   with_last_bn_affine=False, with_avg_pool=False)

def predictor():
    return NonLinearNeck(16, 32, 16, num_layers=2, with_bias=False, with_last_bn=True,
                         with_last_bn_affine=False, with_avg_pool=False)

class MoCoV3Head(nn.Module):
    def __init__(self, temperature):
        super().__init__()
        self.predictor = predictor()
        self.temperature = temperature

    def forward(self, base_out, momentum_out):
        pred = F.normalize(self.predictor([base_out])[0], dim=1)
        target = F.normalize(momentum_out, dim=1)
        logits = torch.einsum('nc,mc->nm', pred, target) / self.temperature
        labels = torch.arange(logits.shape[0])
        return 2 * self.temperature * F.cross_entropy(logits, labels)

class MoCoV3(nn.Module):
    def __init__(self, temperature, base_momentum, max_iters):
        super().__init__()
        self.backbone = MoCoV3ViT()
        self.neck = projector()
        self.head = MoCoV3Head(temperature)
        self.momentum_encoder = EMA(nn.Sequential(MoCoV3ViT(), projector()),
                                    lambda steps: cosine_momentum(base_momentum, steps, max_iters))

    def forward(self, views):
        v1, v2 = views[:2]
        q1 = self.neck(self.backbone(v1))[0]
        q2 = self.neck(self.backbone(v2))[0]
        with torch.no_grad():
            self.momentum = self.momentum_encoder.update_parameters(nn.Sequential(self.backbone, self.neck))
            k1 = self.momentum_encoder(v1)[0]
            k2 = self.momentum_encoder(v2)[0]
        return self.head(q1, k2) + self.head(q2, k1)

model = build(MoCoV3(D['temperature'], D['base_momentum'], PROGRESS['maxIters']))
frozen = sorted(k for k, p in model.named_parameters() if not p.requires_grad and not k.startswith('momentum_encoder.'))
pert = copy.deepcopy(model)
pert.head.temperature *= 1.01
loss = model(VIEWS)
OUT = finish(model, loss, {'perturbed': pert(VIEWS).item(), 'momentum': model.momentum, 'frozen': frozen})
`;

const ITER = 3;
torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', MoCoV3, 'test'));
// Perturbs the frozen tensors too (a table and projection unlike the momentum encoder's, below).
perturb(algo, 0.05, 1);
torch.noGrad(() => algo.momentumEncoder.steps.fill_(ITER));
perturb(algo.momentumEncoder, 0.05, 2);
const progress: TrainProgress = { epoch: 0, iter: ITER, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult & { momentum: number; frozen: string[] }>(algo, seededViews([16, 16]), progress, PY, {
  temperature: TEMPERATURE,
  base_momentum: BASE_MOMENTUM,
});

test('MoCo v3 ViT: the loss equals MMSelfSup’s (class token → 3-layer projector, predictor with last BN, ×2τ)', () =>
  checkLoss(R));

test('MoCo v3 ViT: the same trainable parameters (no patch projection, no table), gradients equal PyTorch’s', () => {
  assert.deepEqual(R.ref.frozen, ['backbone.patch_embed.proj.bias', 'backbone.patch_embed.proj.weight', 'backbone.pos_embed']);
  for (const k of R.ref.frozen) assert.ok(!R.trainable.includes(k), `${k} is not trainable in selfsup`);
  checkGrads(R);
});

test('MoCo v3 ViT: the momentum encoder (frozen tensors included) is MMSelfSup’s CosineEMA step', () => {
  assert.ok(Math.abs(R.logs.momentum - R.ref.momentum) < 1e-15, `momentum ${R.logs.momentum} vs ${R.ref.momentum}`);
  checkState(R, (k) => k.startsWith('momentum_encoder.'));
  // The EMA moved the frozen patch projection toward the online one (it was perturbed apart).
  const k = 'momentum_encoder.module.0.patch_embed.proj.weight';
  assert.ok(
    torch.tidy(() => R.after[k].sub(R.after['backbone.patch_embed.proj.weight']).abs().max().item()) > 0,
    'EMA average, not a copy',
  );
});

test('MoCo v3 ViT: every other buffer after the call equals PyTorch’s', (t) => {
  checkState(R);
  t.diagnostic(`momentum ${R.logs.momentum}; ${summary(R)}`);
});
