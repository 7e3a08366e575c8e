/**
 * SimCLR against a PyTorch re-statement of MMSelfSup 1.x's SimCLR (Chen et al. 2020): both views
 * in one backbone batch (MMSelfSup interleaves them sample by sample; BN statistics do not depend
 * on the order), projections divided by (‖z‖ + 1e-10), the (2N, 2N) similarity matrix without its
 * diagonal, the other view as positive, the remaining 2N − 2 as negatives, and ContrastiveHead's
 * CE(cat(pos, neg)/τ, 0). float64; see parity-reference.ts.
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

const TEMPERATURE = 0.1;
const cfg = {
  type: 'SimCLR',
  backbone: TINY_RESNET,
  neck: { type: 'NonLinearNeck', inChannels: TINY_FEATURES, hidChannels: 32, outChannels: 16, numLayers: 2 },
  head: { type: 'ContrastiveHead', temperature: TEMPERATURE },
};

const PY = `
class SimCLR(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = TinyResNet()
        self.neck = NonLinearNeck(64, 32, 16, num_layers=2)

    def forward(self, views, temperature):
        v1, v2 = views[:2]
        x = torch.stack([v1, v2], 1).flatten(0, 1)          # [x0 view1, x0 view2, x1 view1, …]
        z = self.neck(self.backbone(x))[0]
        z = z / (z.norm(p=2, dim=1, keepdim=True) + 1e-10)
        s = z @ z.t()
        n2 = s.shape[0]
        rows = torch.arange(n2)
        partner = rows ^ 1                                   # the other view of the same image
        pos = s[rows, partner].unsqueeze(1)
        neg_mask = torch.ones(n2, n2, dtype=torch.bool)
        neg_mask[rows, rows] = False
        neg_mask[rows, partner] = False
        neg = s[neg_mask].view(n2, n2 - 2)
        logits = torch.cat([pos, neg], 1) / temperature
        return F.cross_entropy(logits, torch.zeros(n2, dtype=torch.long))

model = build(SimCLR())
pert = copy.deepcopy(model)
loss = model(VIEWS, D['temperature'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS, D['temperature'] * 1.01).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult>(algo, seededViews([16, 16]), progress, PY, { temperature: TEMPERATURE });

test('SimCLR: the loss equals MMSelfSup’s NT-Xent (τ 0.1) on the same weights and views', () => checkLoss(R));

test('SimCLR: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('SimCLR: BN running statistics after the call equal PyTorch’s', (t) => {
  checkState(R);
  t.diagnostic(summary(R));
});
