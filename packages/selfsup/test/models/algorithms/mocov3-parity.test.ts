/**
 * MoCo v3 (ResNet flavour) against a PyTorch re-statement of MMSelfSup 1.x's MoCoV3 and
 * MoCoV3Head (Chen et al. 2021): projections q₁, q₂ of both views; under no_grad the momentum
 * encoder is updated with MMSelfSup's CosineEMA (m = 1 − (1 − m₀)(cos(πk/K) + 1)/2, buffers
 * copied), then keys k₁, k₂; the head predicts from q, normalises prediction and key, and takes
 * CE(pred·keyᵀ/τ, arange(N)) scaled by the configs' loss_weight 2τ; L = head(q₁, k₂) + head(q₂, k₁).
 * float64; see parity-reference.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, MoCoV3, type TrainProgress } from '../../../src/index.js';
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

const TEMPERATURE = 0.2;
const BASE_MOMENTUM = 0.9;
const mlp = { numLayers: 2, withBias: false, withLastBn: true, withLastBnAffine: false };
const cfg = {
  type: 'MoCoV3',
  backbone: TINY_RESNET,
  neck: { type: 'NonLinearNeck', inChannels: TINY_FEATURES, hidChannels: 32, outChannels: 16, ...mlp },
  head: {
    type: 'MoCoV3Head',
    predictor: { type: 'NonLinearNeck', inChannels: 16, hidChannels: 32, outChannels: 16, withAvgPool: false, ...mlp },
    temperature: TEMPERATURE,
  },
  baseMomentum: BASE_MOMENTUM,
};

const PY = `
def projector(cin, avg_pool=True):
    return NonLinearNeck(cin, 32, 16, num_layers=2, with_bias=False, with_last_bn=True,
                         with_last_bn_affine=False, with_avg_pool=avg_pool)

class MoCoV3Head(nn.Module):
    def __init__(self, temperature):
        super().__init__()
        self.predictor = projector(16, avg_pool=False)
        self.temperature = temperature

    def forward(self, base_out, momentum_out):
        pred = F.normalize(self.predictor([base_out])[0], dim=1)
        target = F.normalize(momentum_out, dim=1)
        logits = torch.einsum('nc,mc->nm', pred, target) / self.temperature
        labels = torch.arange(logits.shape[0])
        return 2 * self.temperature * F.cross_entropy(logits, labels)   # loss_weight = 2T

class MoCoV3(nn.Module):
    def __init__(self, temperature, base_momentum, max_iters):
        super().__init__()
        self.backbone = TinyResNet()
        self.neck = projector(64)
        self.head = MoCoV3Head(temperature)
        self.momentum_encoder = EMA(nn.Sequential(TinyResNet(), projector(64)),
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
pert = copy.deepcopy(model)
pert.head.temperature *= 1.01
loss = model(VIEWS)
OUT = finish(model, loss, {'perturbed': pert(VIEWS).item(), 'momentum': model.momentum})
`;

const ITER = 3;
torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', MoCoV3, 'test'));
perturb(algo, 0.05, 1);
// A momentum encoder ITER updates into training (MMSelfSup's CosineEMA reads its own step count,
// selfsup the runner's iteration: they agree), different from the base encoder.
torch.noGrad(() => algo.momentumEncoder.steps.fill_(ITER));
perturb(algo.momentumEncoder, 0.05, 2);
const progress: TrainProgress = { epoch: 0, iter: ITER, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult & { momentum: number }>(algo, seededViews([16, 16]), progress, PY, {
  temperature: TEMPERATURE,
  base_momentum: BASE_MOMENTUM,
});

test('MoCo v3: the loss equals MMSelfSup’s symmetric MoCoV3Head loss (τ 0.2, ×2τ)', () => checkLoss(R));

test('MoCo v3: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('MoCo v3: the momentum encoder after the call is MMSelfSup’s CosineEMA step', () => {
  assert.ok(Math.abs(R.logs.momentum - R.ref.momentum) < 1e-15, `momentum ${R.logs.momentum} vs ${R.ref.momentum}`);
  checkState(R, (k) => k.startsWith('momentum_encoder.'));
});

test('MoCo v3: every other buffer after the call equals PyTorch’s', (t) => {
  checkState(R);
  t.diagnostic(`momentum ${R.logs.momentum}; ${summary(R)}`);
});
