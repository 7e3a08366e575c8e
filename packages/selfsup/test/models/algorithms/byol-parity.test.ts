/**
 * BYOL against a PyTorch re-statement of MMSelfSup 1.x's BYOL (Grill et al. 2020): online
 * projections of both views; under no_grad the target network is updated with MMSelfSup's
 * CosineEMA (m = 1 − (1 − m₀)(cos(πk/K) + 1)/2, buffers copied) and projects both views; the
 * LatentPredictHead predicts from the online projection and takes the negative cosine against the
 * detached target; L = 2·(ℓ(q₁, z′₂) + ℓ(q₂, z′₁)). The paper's Σ‖q̄ − z̄′‖² = Σ(2 − 2cos) is the
 * same loss plus the constant 4 (same gradients); the reference checks that identity too.
 * float64; see parity-reference.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, BYOL, type TrainProgress } from '../../../src/index.js';
import {
  checkGrads,
  checkLoss,
  checkState,
  type PyResult,
  perturb,
  runParity,
  seededViews,
  summary,
  TINY_FEATURES,
  TINY_RESNET,
  toFloat64,
} from './parity-reference.js';

const BASE_MOMENTUM = 0.9;
const mlp = { numLayers: 2, withBias: true, withLastBn: false };
const cfg = {
  type: 'BYOL',
  backbone: TINY_RESNET,
  neck: { type: 'NonLinearNeck', inChannels: TINY_FEATURES, hidChannels: 32, outChannels: 16, ...mlp },
  head: {
    type: 'LatentPredictHead',
    predictor: { type: 'NonLinearNeck', inChannels: 16, hidChannels: 32, outChannels: 16, withAvgPool: false, ...mlp },
  },
  baseMomentum: BASE_MOMENTUM,
};

const PY = `
def mlp(cin, avg_pool=True):
    return NonLinearNeck(cin, 32, 16, num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=avg_pool)

class LatentPredictHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.predictor = mlp(16, avg_pool=False)

    def forward(self, online, target):
        pred = F.normalize(self.predictor([online])[0], dim=-1)
        target = F.normalize(target.detach(), dim=-1)
        self.paper_term = (pred - target).pow(2).sum(-1).mean().item()   # the paper's ‖q̄ − z̄′‖²
        return -(pred * target).sum(-1).mean()                        # CosineSimilarityLoss

class BYOL(nn.Module):
    def __init__(self, base_momentum, max_iters):
        super().__init__()
        self.backbone = TinyResNet()
        self.neck = mlp(64)
        self.head = LatentPredictHead()
        self.target_net = EMA(nn.Sequential(TinyResNet(), mlp(64)),
                              lambda steps: cosine_momentum(base_momentum, steps, max_iters))

    def forward(self, views):
        v1, v2 = views[:2]
        online1 = self.neck(self.backbone(v1))[0]
        online2 = self.neck(self.backbone(v2))[0]
        with torch.no_grad():
            self.momentum = self.target_net.update_parameters(nn.Sequential(self.backbone, self.neck))
            target1 = self.target_net(v1)[0]
            target2 = self.target_net(v2)[0]
        loss_12 = self.head(online1, target2)
        self.paper = self.head.paper_term
        loss_21 = self.head(online2, target1)
        self.paper += self.head.paper_term
        return 2 * (loss_12 + loss_21)

model = build(BYOL(D['base_momentum'], PROGRESS['maxIters']))
pert = copy.deepcopy(model)
pert.target_net.momentum_at = lambda steps: cosine_momentum(D['base_momentum'] * 1.01, steps, PROGRESS['maxIters'])
loss = model(VIEWS)
OUT = finish(model, loss, {'perturbed': pert(VIEWS).item(), 'momentum': model.momentum, 'paper': model.paper})
`;

const ITER = 3;
torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', BYOL, 'test'));
perturb(algo, 0.05, 1);
// A target ITER updates into training, different from the online network.
torch.noGrad(() => algo.targetNet.steps.fill_(ITER));
perturb(algo.targetNet, 0.05, 2);
const progress: TrainProgress = { epoch: 0, iter: ITER, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult & { momentum: number; paper: number }>(algo, seededViews([16, 16]), progress, PY, {
  base_momentum: BASE_MOMENTUM,
});

test('BYOL: the loss equals MMSelfSup’s 2·(ℓ₁₂ + ℓ₂₁) (the paper’s Σ(2 − 2cos) minus 4)', () => {
  checkLoss(R);
  assert.ok(Math.abs(R.ref.paper - (R.ref.loss + 4)) < 1e-12, `paper ${R.ref.paper} vs MMSelfSup ${R.ref.loss} + 4`);
});

test('BYOL: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('BYOL: the target network after the call is MMSelfSup’s CosineEMA step', () => {
  assert.ok(Math.abs(R.logs.momentum - R.ref.momentum) < 1e-15, `momentum ${R.logs.momentum} vs ${R.ref.momentum}`);
  checkState(R, (k) => k.startsWith('target_net.'));
});

test('BYOL: every other buffer after the call equals PyTorch’s', (t) => {
  checkState(R);
  t.diagnostic(`momentum ${R.logs.momentum}; ${summary(R)}`);
});
