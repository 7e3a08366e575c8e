/**
 * ODC against a PyTorch re-statement of MMSelfSup 1.x's ODC (Zhan et al. 2020): features =
 * ODCNeck(backbone(x)) (fc-BN(no affine, momentum 0.001)-ReLU-dropout-fc-ReLU; the dropout masks
 * come from the default generator, seeded identically on both sides); ClsHead logits; mmcls's
 * CrossEntropyLoss with class_weight = loss_weight: mean_i w[y_i]·CE_i with y = label_bank[idx];
 * then the samples memory: f ← (1 − m)·bank[idx] + m·f/(‖f‖ + 1e-10), renormalised (+1e-10),
 * labels ← argmax(centroids · fᵀ). float64; see parity-reference.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, ODC, type TrainProgress } from '../../../src/index.js';
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

const K = 4;
const FEAT_DIM = 8;
const LENGTH = 10;
const MOMENTUM = 0.5;
const SEED = 5;

const PY = `
class ODCNeck(nn.Module):
    def __init__(self, cin, hid, out):
        super().__init__()
        self.fc0 = nn.Linear(cin, hid)
        self.bn0 = nn.BatchNorm1d(hid, momentum=0.001, affine=False)
        self.fc1 = nn.Linear(hid, out)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(x[0], 1).flatten(1)
        x = F.dropout(F.relu(self.bn0(self.fc0(x))), 0.5, True)
        return [F.relu(self.fc1(x))]

class ClsHead(nn.Module):
    def __init__(self, cin, k):
        super().__init__()
        self.fc_cls = nn.Linear(cin, k)

class ODC(nn.Module):
    def __init__(self, length, feat_dim, k, momentum):
        super().__init__()
        self.backbone = TinyResNet()
        self.neck = ODCNeck(64, 16, feat_dim)
        self.head = ClsHead(feat_dim, k)
        self.register_buffer('loss_weight', torch.zeros(k))
        self.memory_bank = nn.Module()
        self.memory_bank.register_buffer('feature_bank', torch.zeros(length, feat_dim))
        self.memory_bank.register_buffer('label_bank', torch.zeros(length, dtype=torch.long))
        self.memory_bank.register_buffer('centroids', torch.zeros(k, feat_dim))
        self.momentum = momentum

    def forward(self, img, idx, weight_scale=1.0):
        feature = self.neck(self.backbone(img))
        label = self.memory_bank.label_bank[idx]
        logits = self.head.fc_cls(feature[0])
        ce = F.cross_entropy(logits, label, weight=self.loss_weight * weight_scale, reduction='none')
        loss = ce.mean()
        with torch.no_grad():
            mb = self.memory_bank
            f = feature[0].detach()
            f = f / (f.norm(dim=1).view(-1, 1) + 1e-10)
            new = (1 - self.momentum) * mb.feature_bank[idx] + self.momentum * f
            new = new / (new.norm(dim=1).view(-1, 1) + 1e-10)
            mb.feature_bank[idx] = new
            newlabel = torch.mm(mb.centroids, new.permute(1, 0)).argmax(dim=0)
            ratio = (newlabel != mb.label_bank[idx]).sum().item() / newlabel.shape[0]
            mb.label_bank[idx] = newlabel
        return loss, ratio

model = build(ODC(D['length'], D['feat_dim'], D['k'], D['momentum']))
pert = copy.deepcopy(model)
torch.manual_seed(D['seed'])
loss, ratio = model(VIEWS[0], IDX)
torch.manual_seed(D['seed'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], IDX, torch.tensor([1.0, 1.3, 1.0, 1.0]))[0].item(), 'ratio': ratio})
`;

torch.manualSeed(0);
const algo = toFloat64(
  ALGORITHMS.buildAs(
    {
      type: 'ODC',
      backbone: TINY_RESNET,
      neck: { type: 'ODCNeck', inChannels: TINY_FEATURES, hidChannels: 16, outChannels: FEAT_DIM },
      head: { type: 'ClsHead', inChannels: FEAT_DIM, numClasses: K },
      memoryBank: { type: 'ODCMemory', length: LENGTH, featDim: FEAT_DIM, momentum: MOMENTUM, numClasses: K, minCluster: 1 },
    },
    'model',
    ODC,
    'test',
  ),
);
perturb(algo, 0.05, 1);
// A clustered memory: random features, every cluster used, uneven sizes so the weights differ.
const labels = torch.tensor([0, 1, 2, 3, 0, 0, 1, 0, 2, 0], { dtype: 'int64' });
torch.tidy(() => algo.memoryBank.initMemory(torch.randn([LENGTH, FEAT_DIM], { dtype: 'float64' }), labels));
algo.setReweight(0.5);
const idx = torch.keep(torch.tensor([9, 1, 4, 6], { dtype: 'int64' }));
torch.manualSeed(SEED);
const R = runParity<PyResult & { ratio: number }>(
  algo,
  seededViews([16]),
  { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 } satisfies TrainProgress,
  PY,
  { length: LENGTH, feat_dim: FEAT_DIM, k: K, momentum: MOMENTUM, seed: SEED },
  [],
  idx,
);

test('ODC: the class-weighted cross-entropy on the memory’s labels equals MMSelfSup’s', () => checkLoss(R));

test('ODC: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('ODC: the samples memory (features, labels), BN statistics and change_ratio after the call equal the reference', (t) => {
  checkState(R);
  assert.equal(R.logs.change_ratio, R.ref.ratio);
  t.diagnostic(`${summary(R)}; change_ratio ${R.logs.change_ratio}`);
});
