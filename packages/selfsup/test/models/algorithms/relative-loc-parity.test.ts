/**
 * RelativeLoc against a PyTorch re-statement of MMSelfSup 1.x's RelativeLoc (Doersch et al. 2015):
 * `RelativeLocDataPreprocessor` makes the 8N neighbours (sample-major) and the centre repeated 8
 * times, the backbone runs on each (two BN batches), the first outputs are concatenated along
 * channels, then `RelativeLocNeck` (avg-pool, fc 2C → out, BN1d with momentum 0.003, ReLU, dropout)
 * and `ClsHead` (fc to 8) with mmcls's CrossEntropyLoss against the per-sample labels 0–7.
 *
 * Dropout's random mask comes from each side's generator, and libtorch builds draw Bernoulli
 * numbers differently, so here both sides apply one seeded mask (×2 where kept, as dropout(0.5)
 * scales); the neck test checks the real dropout's behaviour. float64; see parity-reference.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, type RelativeLoc, RelativeLocNeck, type TrainProgress } from '../../../src/index.js';
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

const N = 2;
const OUT = 16;
const cfg = {
  type: 'RelativeLoc',
  dataPreprocessor: { mean: [124, 117, 104], std: [59, 58, 58] },
  backbone: TINY_RESNET,
  neck: { type: 'RelativeLocNeck', inChannels: TINY_FEATURES, outChannels: OUT, withAvgPool: true },
  head: { type: 'ClsHead', withAvgPool: false, inChannels: OUT, numClasses: 8, initCfg: { type: 'Normal', std: 0.005 } },
};

const PY = `
MASK = torch.tensor(D['mask'], dtype=torch.float64)

class RelativeLocNeck(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.fc = nn.Linear(cin * 2, cout)
        self.bn = nn.BatchNorm1d(cout, momentum=0.003)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(x[0], 1).flatten(1)
        x = F.relu(self.bn(self.fc(x)))
        return [x * MASK]  # dropout(0.5) with the test's mask (kept entries ×2)

class ClsHead(nn.Module):
    def __init__(self, cin, k):
        super().__init__()
        self.fc_cls = nn.Linear(cin, k)

    def forward(self, x, label):
        return F.cross_entropy(self.fc_cls(x[0].flatten(1)), label)

class RelativeLoc(nn.Module):
    def __init__(self, out):
        super().__init__()
        self.backbone = TinyResNet()
        self.neck = RelativeLocNeck(64, out)
        self.head = ClsHead(out, 8)

    def forward(self, views, patch_label):
        img1 = torch.stack(views[1:], 1)
        img1 = img1.view(img1.size(0) * img1.size(1), *img1.shape[2:])
        img2 = torch.unsqueeze(views[0], 1).repeat(1, 8, 1, 1, 1)
        img2 = img2.view(img2.size(0) * img2.size(1), *img2.shape[2:])
        x1 = self.backbone(img1)
        x2 = self.backbone(img2)
        x = self.neck((torch.cat((x1[0], x2[0]), dim=1),))
        n = views[0].shape[0]
        label = torch.flatten(torch.stack([torch.tensor(patch_label) for _ in range(n)], 0))
        return self.head(x, label)

model = build(RelativeLoc(D['width']))
pert = copy.deepcopy(model)
loss = model(VIEWS, list(range(8)))
# Neighbours labelled in column-major order instead of row-major: a different loss.
OUT = finish(model, loss, {'perturbed': pert(VIEWS, [0, 3, 5, 1, 6, 2, 4, 7]).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model')) as RelativeLoc;
perturb(algo, 0.05, 1);
const g = new torch.Generator().manualSeed(7);
const mask = torch.keep(
  torch
    .rand([8 * N, OUT], { generator: g, dtype: 'float64' })
    .lt(0.5)
    .to('float64')
    .mul(2),
);
assert.ok(algo.neck instanceof RelativeLocNeck);
algo.neck.dropout.forward = (x: torch.Tensor) => x.mul(mask);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const views = seededViews(Array(9).fill(12), N);
const R = runParity<PyResult>(algo, views, progress, PY, { mask: mask.toList(), width: OUT });

test('RelativeLoc: the loss equals MMSelfSup’s 8-way cross entropy over the 8N (neighbour, centre) pairs', () => {
  checkLoss(R);
  assert.ok(R.logs.acc_loc >= 0 && R.logs.acc_loc <= 1, `acc_loc ${R.logs.acc_loc}`);
});

test('RelativeLoc: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('RelativeLoc: BN running statistics (two backbone batches, the neck’s momentum 0.003) equal PyTorch’s', (t) => {
  checkState(R);
  t.diagnostic(summary(R));
});

test('RelativeLoc: wrong views and heads are clear errors', () => {
  torch.tidy(() => {
    assert.throws(
      () => algo.loss({ views: views.slice(0, 4) }),
      /RelativeLoc: expected the 9 views of a RandomPatchWithLabels pipeline step/,
    );
    assert.throws(
      () => ALGORITHMS.build({ ...cfg, head: { ...cfg.head, numClasses: 4 } }, 'model'),
      /model\.head\.numClasses must be 8/,
    );
  });
});
