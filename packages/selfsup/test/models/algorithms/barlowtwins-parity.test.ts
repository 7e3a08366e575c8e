/**
 * Barlow Twins against a PyTorch re-statement of MMSelfSup 1.x's BarlowTwins and
 * LatentCrossCorrelationHead (Zbontar et al. 2021): z₁, z₂ from backbone → 3-layer projector
 * (no last BN); the head's affine-free BatchNorm1d of each, C = BN(z₁)ᵀ·BN(z₂)/N, and
 * L = Σᵢ(1 − Cᵢᵢ)² + λ·Σ_{i≠j}Cᵢⱼ² (λ = 0.0051). float64; see parity-reference.ts.
 */
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, type TrainProgress } from '../../../src/index.js';
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

const LAMBDA = 0.0051;
const cfg = {
  type: 'BarlowTwins',
  backbone: TINY_RESNET,
  neck: {
    type: 'NonLinearNeck',
    inChannels: TINY_FEATURES,
    hidChannels: 32,
    outChannels: 16,
    numLayers: 3,
    withLastBn: false,
  },
  head: { type: 'LatentCrossCorrelationHead', inChannels: 16, loss: { type: 'CrossCorrelationLoss', lambd: LAMBDA } },
};

const PY = `
class LatentCrossCorrelationHead(nn.Module):
    def __init__(self, dim, lambd):
        super().__init__()
        self.bn = nn.BatchNorm1d(dim, affine=False)
        self.lambd = lambd

    def forward(self, z1, z2):
        c = self.bn(z1).t() @ self.bn(z2) / z1.shape[0]
        on_diag = (torch.diagonal(c) - 1).pow(2).sum()
        off = c.pow(2).sum() - torch.diagonal(c).pow(2).sum()
        return on_diag + self.lambd * off

class BarlowTwins(nn.Module):
    def __init__(self, lambd):
        super().__init__()
        self.backbone = TinyResNet()
        self.neck = NonLinearNeck(64, 32, 16, num_layers=3, with_last_bn=False)
        self.head = LatentCrossCorrelationHead(16, lambd)

    def forward(self, views):
        z1 = self.neck(self.backbone(views[0]))[0]
        z2 = self.neck(self.backbone(views[1]))[0]
        return self.head(z1, z2)

model = build(BarlowTwins(D['lambd']))
pert = copy.deepcopy(model)
pert.head.lambd *= 1.01
loss = model(VIEWS)
OUT = finish(model, loss, {'perturbed': pert(VIEWS).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult>(algo, seededViews([16, 16]), progress, PY, { lambd: LAMBDA });

test('Barlow Twins: the loss equals MMSelfSup’s Σ(1 − Cᵢᵢ)² + λΣ_{i≠j}Cᵢⱼ² (λ 0.0051)', () => checkLoss(R));

test('Barlow Twins: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('Barlow Twins: BN running statistics (projector and head) after the call equal PyTorch’s', (t) => {
  checkState(R);
  t.diagnostic(summary(R));
});
