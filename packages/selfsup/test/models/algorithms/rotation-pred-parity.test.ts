/**
 * RotationPred against a PyTorch re-statement of MMSelfSup 1.x's RotationPred (Gidaris et al.
 * 2018): `RotationPredDataPreprocessor` stacks each sample's four views sample-major into one 4N
 * batch, the backbone's last map goes through `ClsHead` (average pool, fc to 4 classes) and mmcls's
 * CrossEntropyLoss against the flattened per-sample labels [0, 1, 2, 3]. float64; see
 * parity-reference.ts.
 */
import assert from 'node:assert/strict';
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
  type: 'RotationPred',
  backbone: TINY_RESNET,
  head: { type: 'ClsHead', withAvgPool: true, inChannels: TINY_FEATURES, numClasses: 4 },
};

const PY = `
class ClsHead(nn.Module):
    def __init__(self, cin, k):
        super().__init__()
        self.fc_cls = nn.Linear(cin, k)

    def forward(self, x, label):
        x = F.adaptive_avg_pool2d(x[0], 1).flatten(1)
        return F.cross_entropy(self.fc_cls(x), label)

class RotationPred(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = TinyResNet()
        self.head = ClsHead(64, 4)

    def forward(self, views, rot_label):
        img = torch.stack(views, 1)
        img = img.view(img.size(0) * img.size(1), *img.shape[2:])
        n = views[0].shape[0]
        label = torch.flatten(torch.stack([torch.tensor(rot_label) for _ in range(n)], 0))
        return self.head(self.backbone(img), label)

model = build(RotationPred())
pert = copy.deepcopy(model)
loss = model(VIEWS, [0, 1, 2, 3])
# The clockwise labelling (views 1 and 3 swapped) is a different loss: the label of each view matters.
OUT = finish(model, loss, {'perturbed': pert(VIEWS, [0, 3, 2, 1]).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult>(algo, seededViews([16, 16, 16, 16], 2), progress, PY);

test('RotationPred: the loss equals MMSelfSup’s 4-way cross entropy over the 4N sample-major rotations', () => {
  checkLoss(R);
  assert.ok(R.logs.acc_rot >= 0 && R.logs.acc_rot <= 1, `acc_rot ${R.logs.acc_rot}`);
});

test('RotationPred: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('RotationPred: BN running statistics after the call equal PyTorch’s (one 4N batch)', (t) => {
  checkState(R);
  t.diagnostic(summary(R));
});

test('RotationPred: wrong views and heads are clear errors', () => {
  torch.tidy(() => {
    const v = seededViews([16, 16], 2);
    assert.throws(() => algo.loss({ views: v }), /RotationPred: expected the 4 views of a RotationWithLabels pipeline step/);
    const odd = [...seededViews([16, 16, 16], 2), ...seededViews([12], 2)];
    assert.throws(() => algo.loss({ views: odd }), /RotationPred: the 4 views must all be \(N, C, H, W\) of one size/);
    assert.throws(
      () => ALGORITHMS.build({ ...cfg, head: { ...cfg.head, numClasses: 8 } }, 'model'),
      /model\.head\.numClasses must be 4/,
    );
  });
});
