/**
 * SimSiam against a PyTorch re-statement of MMSelfSup 1.x's SimSiam (Chen & He 2021): z₁, z₂ from
 * backbone → 3-layer projector (last BN without affine); the LatentPredictHead's predictor p
 * (bottleneck MLP, last fc with bias, no last BN) and D(p, z) = −mean cos(p, stop-grad z);
 * L = ½·(D(p₁, z₂) + D(p₂, z₁)). float64; see parity-reference.ts.
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

const cfg = {
  type: 'SimSiam',
  backbone: TINY_RESNET,
  neck: {
    type: 'NonLinearNeck',
    inChannels: TINY_FEATURES,
    hidChannels: 32,
    outChannels: 16,
    numLayers: 3,
    withLastBnAffine: false,
  },
  head: {
    type: 'LatentPredictHead',
    predictor: {
      type: 'NonLinearNeck',
      inChannels: 16,
      hidChannels: 8,
      outChannels: 16,
      withAvgPool: false,
      withLastBn: false,
      withLastBias: true,
    },
  },
};

const PY = `
class LatentPredictHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.predictor = NonLinearNeck(16, 8, 16, with_avg_pool=False, with_last_bn=False, with_last_bias=True)

    def forward(self, z, target, sign=1.0):
        p = F.normalize(self.predictor([z])[0], dim=-1)
        return -sign * (p * F.normalize(target.detach(), dim=-1)).sum(-1).mean()

class SimSiam(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = TinyResNet()
        self.neck = NonLinearNeck(64, 32, 16, num_layers=3, with_last_bn_affine=False)
        self.head = LatentPredictHead()

    def forward(self, views, weight=0.5):
        z1 = self.neck(self.backbone(views[0]))[0]
        z2 = self.neck(self.backbone(views[1]))[0]
        return weight * (self.head(z1, z2) + self.head(z2, z1))

model = build(SimSiam())
pert = copy.deepcopy(model)
loss = model(VIEWS)
OUT = finish(model, loss, {'perturbed': pert(VIEWS, 0.505).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult>(algo, seededViews([16, 16]), progress, PY);

test('SimSiam: the loss equals MMSelfSup’s ½·(D(p₁, z₂) + D(p₂, z₁))', () => checkLoss(R));

test('SimSiam: the gradient of every trainable parameter equals PyTorch’s (stop-gradient on the targets)', () => checkGrads(R));

test('SimSiam: BN running statistics after the call equal PyTorch’s', (t) => {
  checkState(R);
  t.diagnostic(summary(R));
});
