/**
 * DeepCluster against a PyTorch re-statement of MMSelfSup's DeepCluster (Caron et al. 2018): the
 * pseudo-label of each sample is looked up by its dataset index, scores = fc_cls(avgpool(backbone(x)))
 * and the loss is the class-weighted cross-entropy (`F.cross_entropy(weight=loss_weight)`); the
 * weights re-weighted by MMSelfSup's `set_reweight` (∝ (|c| + 1e−10)^−p, normalised), recomputed in
 * Python. With Sobel the images first pass the fixed grey + Sobel layer (its weights rebuilt in
 * Python and compared) and the backbone's stem takes 2 channels. float64; see parity-reference.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, type AlgorithmInput, type DeepCluster, type TrainProgress } from '../../../src/index.js';
import {
  checkGrads,
  checkLoss,
  checkState,
  type PyResult,
  perturb,
  runParity,
  seededViews,
  TINY_FEATURES,
  TINY_RESNET,
  toFloat64,
} from './parity-reference.js';
import { assertClose } from '../../helpers.js';
import { modelEncoder } from '../../../src/engine/model-source.js';

const K = 5;
/** Pseudo-labels of a dataset of 8 samples (cluster 4 is rare, 2 absent from the batch). */
const PSEUDO = [3, 1, 4, 1, 0, 2, 0, 3];
/** Dataset indices of the 4 samples of the batch. */
const IDX = [7, 2, 5, 0];

const PY = `
class DeepCluster(nn.Module):
    def __init__(self, with_sobel, k):
        super().__init__()
        self.with_sobel = with_sobel
        self.backbone = TinyResNet()
        if with_sobel:
            self.backbone.conv1 = nn.Conv2d(2, 8, 3, 1, 1, bias=False)
            self.sobel_layer = Sobel()
        self.head = nn.Module()
        self.head.fc_cls = nn.Linear(64, k)
        self.register_buffer('loss_weight', torch.ones(k) / k)

    def forward(self, x, labels, weighted=True):
        if self.with_sobel:
            x = self.sobel_layer(x)
        f = F.adaptive_avg_pool2d(self.backbone(x)[0], 1).flatten(1)
        scores = self.head.fc_cls(f)
        return F.cross_entropy(scores, labels, weight=self.loss_weight if weighted else None)

k = D['k']
pseudo = torch.tensor(D['pseudo'])
labels = pseudo[torch.tensor(D['idx'])]
hist = torch.bincount(pseudo, minlength=k).double()
inv = (1.0 / (hist + 1e-10)) ** 0.5
reweight = inv / inv.sum()
fresh = Sobel()
model = build(DeepCluster(D['sobel'], k))
extra = {'reweight_err': (model.loss_weight - reweight).abs().max().item()}
if D['sobel']:
    extra['sobel_err'] = max((a - b).abs().max().item() for a, b in zip(model.sobel_layer.state_dict().values(), fresh.state_dict().values()))
pert = copy.deepcopy(model)
loss = model(VIEWS[0], labels)
extra['perturbed'] = pert(VIEWS[0], labels, weighted=False).item()
OUT = finish(model, loss, extra)
`;

type DCResult = PyResult & { reweight_err: number; sobel_err?: number };

function run(withSobel: boolean) {
  torch.manualSeed(0);
  const algo = toFloat64(
    ALGORITHMS.build(
      {
        type: 'DeepCluster',
        withSobel,
        backbone: { ...TINY_RESNET, ...(withSobel ? { inChannels: 2 } : {}) },
        neck: { type: 'AvgPool2dNeck' },
        head: { type: 'ClsHead', inChannels: TINY_FEATURES, numClasses: K },
      },
      'model',
    ),
  ) as DeepCluster;
  perturb(algo, 0.05, 1, (name) => name.startsWith('sobel_layer'));
  const pseudo = torch.keep(torch.tensor(PSEUDO, { dtype: 'int64' }));
  algo.assignLabels(pseudo);
  algo.setReweight(pseudo, 0.5);
  // The loader's batches carry the dataset indices; the harness's do not, so add them here.
  const idx = torch.keep(torch.tensor(IDX, { dtype: 'int64' }));
  const loss = algo.loss.bind(algo);
  algo.loss = (b: AlgorithmInput) => loss({ ...b, idx });
  const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 1 };
  return runParity<DCResult>(algo, seededViews([16]), progress, PY, { k: K, pseudo: PSEUDO, idx: IDX, sobel: withSobel });
}

const plain = run(false);
const sobel = run(true);

test('DeepCluster: the loss equals the class-weighted CE of the pseudo-labels looked up by dataset index', () => {
  checkLoss(plain);
  assert.ok(plain.ref.reweight_err < 1e-12, `loss_weight vs MMSelfSup's set_reweight: ${plain.ref.reweight_err}`);
});

test('DeepCluster: gradients and BN statistics equal PyTorch’s', () => {
  checkGrads(plain);
  checkState(plain);
});

test('DeepCluster with Sobel: the fixed grey + Sobel layer equals the paper’s; loss, gradients and state equal PyTorch’s', () => {
  // The weights are float32 (1/3 rounded) widened to float64, Python's are float64's 1/3.
  assert.ok((sobel.ref.sobel_err ?? 1) < 1e-7, `Sobel weights differ by ${sobel.ref.sobel_err}`);
  checkLoss(sobel);
  checkGrads(sobel);
  checkState(sobel);
  assert.ok(!sobel.trainable.some((k) => k.startsWith('sobel_layer')), 'the Sobel weights must not train');
});

test('DeepCluster: no pseudo-labels, no idx, or withSobel with a 3-channel backbone are clear errors', () => {
  const cfg = {
    type: 'DeepCluster',
    backbone: TINY_RESNET,
    neck: { type: 'AvgPool2dNeck' },
    head: { type: 'ClsHead', inChannels: TINY_FEATURES, numClasses: K },
  };
  const algo = ALGORITHMS.build(cfg, 'model') as DeepCluster;
  const views = seededViews([16]);
  assert.throws(() => algo.loss({ views }), /no pseudo-labels yet; add DeepClusterHook/);
  algo.assignLabels(torch.tensor(PSEUDO, { dtype: 'int64' }));
  assert.throws(() => algo.loss({ views }), /no dataset indices/);
  assert.throws(() => algo.assignLabels(torch.tensor([0, 5], { dtype: 'int64' })), /\[0, 5\)/);
  assert.throws(() => ALGORITHMS.build({ ...cfg, withSobel: true }, 'model'), /model\.backbone\.inChannels: 2/);
});

test('modelEncoder (eval, extract, vis) feeds a withSobel DeepCluster the Sobel gradients it trained on', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.build(
    {
      type: 'DeepCluster',
      withSobel: true,
      backbone: { ...TINY_RESNET, inChannels: 2 },
      neck: { type: 'AvgPool2dNeck' },
      head: { type: 'ClsHead', inChannels: TINY_FEATURES, numClasses: K },
    },
    'model',
  ) as DeepCluster;
  torch.tidy(() => {
    const images = torch.randint(0, 256, [3, 3, 16, 16]).to({ dtype: 'float32' });
    const got = modelEncoder(algo)(images);
    const { mean, std } = algo.normalization;
    const x = images.sub(torch.tensor(mean).view([1, 3, 1, 1])).div(torch.tensor(std).view([1, 3, 1, 1]));
    algo.eval();
    const sobel = algo.sobel_layer?.forward(x) as torch.Tensor;
    assert.deepEqual(sobel.shape, [3, 2, 16, 16]);
    const outs = algo.backbone.forward(sobel);
    assertClose(got, outs[outs.length - 1].mean([2, 3]), 1e-5, 'encoder features');
  });
});
