/**
 * VICReg against a PyTorch re-statement of the official implementation (Bardes, Ponce & LeCun
 * 2022, facebookresearch/vicreg `main_vicreg.py`; MMSelfSup 1.x has no VICReg): the expander
 * Linear-BN-ReLU ×2 then a bias-free Linear, and
 *   repr = mse(x, y); x, y centred; std = √(Var + 1e-4) (unbiased);
 *   std_loss = mean relu(1 − std_x)/2 + mean relu(1 − std_y)/2;
 *   cov = xᵀx/(N − 1); cov_loss = Σ_{i≠j} cov_x² / D + Σ_{i≠j} cov_y² / D;
 *   L = 25·repr + 25·std_loss + 1·cov_loss.
 * float64; see parity-reference.ts.
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
  type: 'VICReg',
  backbone: TINY_RESNET,
  neck: {
    type: 'NonLinearNeck',
    inChannels: TINY_FEATURES,
    hidChannels: 32,
    outChannels: 32,
    numLayers: 3,
    withBias: true,
    withLastBn: false,
  },
  head: { type: 'VICRegHead' },
};

const PY = `
class VICReg(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = TinyResNet()
        # The official Projector('64-32-32-32'): Linear-BN-ReLU, Linear-BN-ReLU, Linear(bias=False).
        self.neck = NonLinearNeck(64, 32, 32, num_layers=3, with_bias=True, with_last_bn=False)
        self.sim_coeff, self.std_coeff, self.cov_coeff = 25.0, 25.0, 1.0

    def forward(self, views):
        x = self.neck(self.backbone(views[0]))[0]
        y = self.neck(self.backbone(views[1]))[0]
        n, d = x.shape
        repr_loss = F.mse_loss(x, y)
        x = x - x.mean(dim=0)
        y = y - y.mean(dim=0)
        std_x = torch.sqrt(x.var(dim=0) + 0.0001)
        std_y = torch.sqrt(y.var(dim=0) + 0.0001)
        std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
        cov_x = (x.T @ x) / (n - 1)
        cov_y = (y.T @ y) / (n - 1)
        off = lambda m: m - torch.diag(torch.diagonal(m))
        cov_loss = off(cov_x).pow(2).sum() / d + off(cov_y).pow(2).sum() / d
        self.terms = [repr_loss.item(), std_loss.item(), cov_loss.item()]
        return self.sim_coeff * repr_loss + self.std_coeff * std_loss + self.cov_coeff * cov_loss

model = build(VICReg())
pert = copy.deepcopy(model)
pert.std_coeff *= 1.01
loss = model(VIEWS)
OUT = finish(model, loss, {'perturbed': pert(VIEWS).item(), 'terms': model.terms})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult & { terms: number[] }>(algo, seededViews([16, 16]), progress, PY);

test('VICReg: the loss equals the official 25·invariance + 25·variance + 1·covariance, and so do the logged terms', () => {
  checkLoss(R);
  const logged = [R.logs.loss_invariance, R.logs.loss_variance, R.logs.loss_covariance];
  R.ref.terms.forEach((v, i) => {
    if (!(Math.abs(logged[i] - v) <= 1e-8 * (1 + Math.abs(v)))) throw new Error(`term ${i}: ${logged[i]} vs ${v}`);
  });
});

test('VICReg: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('VICReg: BN running statistics after the call equal PyTorch’s', (t) => {
  checkState(R);
  t.diagnostic(summary(R));
});
