/**
 * ODC against a PyTorch re-statement of MMSelfSup 1.x's ODC (Zhan et al. 2020): features =
 * ODCNeck(backbone(x)) (fc-BN(no affine, momentum 0.001)-ReLU-dropout-fc-ReLU; the dropout masks
 * come from the default generator, seeded identically on both sides); ClsHead logits; mmcls's
 * CrossEntropyLoss with class_weight = loss_weight: mean_i w[y_i]·CE_i with y = label_bank[idx];
 * then the samples memory: f ← (1 − m)·bank[idx] + m·f/(‖f‖ + 1e-10), renormalised (+1e-10),
 * labels ← argmax(centroids · fᵀ). The loss as 1.x's mmcls batch mean (`lossMean: 'batch'`) and as 0.x's
 * PyTorch weighted mean Σ w_y·CE / Σ w_y (the default). With Sobel (MMSelfSup 0.x's `with_sobel`) the images first pass
 * DeepCluster's fixed grey + Sobel layer and the stem takes 2 channels. float64; see parity-reference.ts.
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
import { modelEncoder } from '../../../src/engine/model-source.js';
import { assertClose } from '../../helpers.js';

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
    def __init__(self, length, feat_dim, k, momentum, with_sobel):
        super().__init__()
        self.backbone = TinyResNet()
        self.with_sobel = with_sobel
        if with_sobel:
            self.backbone.conv1 = nn.Conv2d(2, 8, 3, 1, 1, bias=False)
            self.sobel_layer = Sobel()
        self.neck = ODCNeck(64, 16, feat_dim)
        self.head = ClsHead(feat_dim, k)
        self.register_buffer('loss_weight', torch.zeros(k))
        self.memory_bank = nn.Module()
        self.memory_bank.register_buffer('feature_bank', torch.zeros(length, feat_dim))
        self.memory_bank.register_buffer('label_bank', torch.zeros(length, dtype=torch.long))
        self.memory_bank.register_buffer('centroids', torch.zeros(k, feat_dim))
        self.momentum = momentum

    def forward(self, img, idx, weight_scale=1.0):
        if self.with_sobel:
            img = self.sobel_layer(img)
        feature = self.neck(self.backbone(img))
        label = self.memory_bank.label_bank[idx]
        logits = self.head.fc_cls(feature[0])
        w = self.loss_weight * weight_scale
        if D['weighted']:
            # MMSelfSup 0.x: nn.CrossEntropyLoss(weight=loss_weight), PyTorch's weighted mean.
            loss = F.cross_entropy(logits, label, weight=w)
        else:
            # 1.x: mmcls's class_weight, then the plain batch mean.
            loss = F.cross_entropy(logits, label, weight=w, reduction='none').mean()
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

model = build(ODC(D['length'], D['feat_dim'], D['k'], D['momentum'], D['sobel']))
pert = copy.deepcopy(model)
torch.manual_seed(D['seed'])
loss, ratio = model(VIEWS[0], IDX)
torch.manual_seed(D['seed'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], IDX, torch.tensor([1.0, 1.3, 1.0, 1.0]))[0].item(), 'ratio': ratio})
`;

/** The tiny ODC of these tests; `backbone` overrides the stem (a 3-channel one with Sobel is the error case). */
function odcConfig(
  withSobel: boolean,
  extra: Record<string, unknown> = {},
  backbone: object = withSobel ? { inChannels: 2 } : {},
) {
  return {
    type: 'ODC',
    withSobel,
    ...extra,
    backbone: { ...TINY_RESNET, ...backbone },
    neck: { type: 'ODCNeck', inChannels: TINY_FEATURES, hidChannels: 16, outChannels: FEAT_DIM },
    head: { type: 'ClsHead', inChannels: FEAT_DIM, numClasses: K },
    memoryBank: { type: 'ODCMemory', length: LENGTH, featDim: FEAT_DIM, momentum: MOMENTUM, numClasses: K, minCluster: 1 },
  };
}

function run(withSobel: boolean, lossMean: 'weighted' | 'batch') {
  torch.manualSeed(0);
  const algo = toFloat64(ALGORITHMS.buildAs(odcConfig(withSobel, { lossMean }), 'model', ODC, 'test'));
  perturb(algo, 0.05, 1, (name) => name.startsWith('sobel_layer'));
  // A clustered memory: random features, every cluster used, uneven sizes so the weights differ.
  const labels = torch.tensor([0, 1, 2, 3, 0, 0, 1, 0, 2, 0], { dtype: 'int64' });
  torch.tidy(() => algo.memoryBank.initMemory(torch.randn([LENGTH, FEAT_DIM], { dtype: 'float64' }), labels));
  algo.setReweight(0.5);
  const idx = torch.keep(torch.tensor([9, 1, 4, 6], { dtype: 'int64' }));
  torch.manualSeed(SEED);
  return runParity<PyResult & { ratio: number }>(
    algo,
    seededViews([16]),
    { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 } satisfies TrainProgress,
    PY,
    {
      length: LENGTH,
      feat_dim: FEAT_DIM,
      k: K,
      momentum: MOMENTUM,
      seed: SEED,
      sobel: withSobel,
      weighted: lossMean === 'weighted',
    },
    [],
    idx,
  );
}

const R = run(false, 'batch');
const W = run(false, 'weighted');
const S = run(true, 'weighted');

test('ODC, lossMean batch: the class-weighted cross-entropy on the memory’s labels equals MMSelfSup 1.x’s', () => checkLoss(R));

test('ODC, lossMean weighted (the default): loss, gradients and state equal MMSelfSup 0.x’s weighted mean, K× 1.x’s here', () => {
  checkLoss(W);
  checkGrads(W);
  checkState(W);
  // The weights sum to 1 over K clusters, so the batch mean is about the weighted mean / K.
  const ratio = W.loss / R.loss;
  assert.ok(ratio > K / 2 && ratio < K * 2, `weighted / batch mean ${ratio}, expected about K = ${K}`);
});

test('ODC: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('ODC: the samples memory (features, labels), BN statistics and change_ratio after the call equal the reference', (t) => {
  checkState(R);
  assert.equal(R.logs.change_ratio, R.ref.ratio);
  t.diagnostic(`${summary(R)}; change_ratio ${R.logs.change_ratio}`);
});

test('ODC with Sobel: loss, gradients, memory and state equal MMSelfSup 0.x’s; the Sobel weights do not train', () => {
  checkLoss(S);
  checkGrads(S);
  checkState(S);
  assert.equal(S.logs.change_ratio, S.ref.ratio);
  assert.ok(S.trainable.length > 0 && !S.trainable.some((k) => k.startsWith('sobel_layer')), 'the Sobel weights must not train');
  assert.ok(S.after['sobel_layer.sobel.1.weight'], 'the Sobel layer is in the state dict under MMSelfSup’s key');
});

test('ODC: withSobel with a 3-channel backbone is a clear config error', () => {
  assert.throws(
    () => ALGORITHMS.build(odcConfig(true, {}, {}), 'model'),
    /ODC: withSobel .*model\.backbone\.inChannels: 2 \(got 3\)/,
  );
});

test('ODC with Sobel: the features the hook clusters and modelEncoder evaluates pass the Sobel layer', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs(odcConfig(true), 'model', ODC, 'test');
  algo.eval();
  torch.tidy(() => {
    const images = torch.randint(0, 256, [3, 3, 16, 16]).to({ dtype: 'float32' });
    const x = algo.preprocess(images);
    const sobel = algo.sobel_layer?.forward(x) as torch.Tensor;
    assert.deepEqual(sobel.shape, [3, 2, 16, 16]);
    const outs = algo.backbone.forward(sobel);
    assertClose(algo.embed(x), algo.neck.forward(outs)[0], 1e-6, 'embed (the memory’s features)');
    assertClose(modelEncoder(algo)(images), outs[outs.length - 1].mean([2, 3]), 1e-5, 'modelEncoder features');
  });
});
