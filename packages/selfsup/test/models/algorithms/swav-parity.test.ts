/**
 * SwAV against a PyTorch re-statement of MMSelfSup 1.x's SwAV, SwAVNeck and SwAVLoss (Caron et
 * al. 2020) with a full queue: 2 large (16 px) + 2 small (8 px) crops, the backbone run once per
 * resolution group (unique_consecutive of the widths), the neck's pooled features of every crop
 * through fc-BN-ReLU-fc and L2 normalisation; the loss normalises the prototypes in place, scores
 * every crop against them, and for each assigned crop prepends the queue's scores, pushes the
 * crop's embeddings into the queue (newest first), runs 3 Sinkhorn–Knopp iterations (ε 0.05) and
 * keeps the batch's codes, which every other crop predicts through softmax(scores/τ).
 * float64; see parity-reference.ts.
 */
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, SwAV, type TrainProgress } from '../../../src/index.js';
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

const FEAT_DIM = 8;
const PROTOTYPES = 10;
const QUEUE = 8;
const swavLoss = {
  type: 'SwAVLoss',
  featDim: FEAT_DIM,
  numPrototypes: PROTOTYPES,
  numCrops: [2, 2],
  cropsForAssign: [0, 1],
  temperature: 0.1,
  epsilon: 0.05,
  sinkhornIterations: 3,
  queueLength: QUEUE,
  epochQueueStarts: 0,
};
const cfg = {
  type: 'SwAV',
  backbone: TINY_RESNET,
  neck: { type: 'SwAVNeck', inChannels: TINY_FEATURES, hidChannels: 32, outChannels: FEAT_DIM },
  head: { type: 'SwAVHead', loss: swavLoss },
};

const PY = `
class SwAVNeck(nn.Module):
    def __init__(self, cin, hid, out):
        super().__init__()
        self.projection_neck = nn.Sequential(nn.Linear(cin, hid), nn.BatchNorm1d(hid), nn.ReLU(), nn.Linear(hid, out))

    def forward(self, maps):
        pooled = torch.cat([F.adaptive_avg_pool2d(m, 1) for m in maps]).flatten(1)
        return [F.normalize(self.projection_neck(pooled), p=2, dim=1)]

def sinkhorn_knopp(scores, iterations, eps):
    """SwAV's distributed_sinkhorn in one process: codes (B, K) whose rows sum to 1."""
    q = torch.exp(scores / eps).t()          # (K, B)
    k, b = q.shape
    q = q / q.sum()
    for _ in range(iterations):
        q = q / q.sum(dim=1, keepdim=True) / k
        q = q / q.sum(dim=0, keepdim=True) / b
    return (q * b).t()

class SwAVLoss(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.register_buffer('queue', torch.zeros(len(cfg['cropsForAssign']), cfg['queueLength'], cfg['featDim']))
        self.prototypes = nn.Linear(cfg['featDim'], cfg['numPrototypes'], bias=False)
        self.use_queue = False

    def forward(self, x):
        c = self.cfg
        with torch.no_grad():
            self.prototypes.weight.copy_(F.normalize(self.prototypes.weight, dim=1, p=2))
        scores = self.prototypes(x)
        emb = x.detach()
        crops = sum(c['numCrops'])
        bs = x.shape[0] // crops
        rows = lambda t, v: t[v * bs:(v + 1) * bs]
        total = 0
        for i, a in enumerate(c['cropsForAssign']):
            with torch.no_grad():
                out = rows(scores, a).detach()
                if self.use_queue or not bool((self.queue[i, -1] == 0).all()):
                    self.use_queue = True
                    out = torch.cat([self.queue[i] @ self.prototypes.weight.t(), out])
                self.queue[i, bs:] = self.queue[i, :-bs].clone()
                self.queue[i, :bs] = rows(emb, a)
                q = sinkhorn_knopp(out, c['sinkhornIterations'], c['epsilon'])[-bs:]
            sub = 0
            for v in range(crops):
                if v != a:
                    sub = sub - (q * F.log_softmax(rows(scores, v) / c['temperature'], dim=1)).sum(1).mean()
            total = total + sub / (crops - 1)
        return total / len(c['cropsForAssign'])

class SwAVHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.loss = SwAVLoss(cfg)

    def forward(self, x):
        return self.loss(x)

class SwAV(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.backbone = TinyResNet()
        self.neck = SwAVNeck(64, 32, cfg['featDim'])
        self.head = SwAVHead(cfg)

    def forward(self, views):
        counts = torch.unique_consecutive(torch.tensor([v.shape[-1] for v in views]), return_counts=True)[1]
        ends = torch.cumsum(counts, 0).tolist()
        starts = [0] + ends[:-1]
        maps = [self.backbone(torch.cat(views[s:e]))[0] for s, e in zip(starts, ends)]
        return self.head(self.neck(maps)[0])

model = build(SwAV(D['cfg']))
pert = copy.deepcopy(model)
pert.head.loss.cfg = dict(D['cfg'], temperature=D['cfg']['temperature'] * 1.01)
loss = model(VIEWS)
OUT = finish(model, loss, {'perturbed': pert(VIEWS).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', SwAV, 'test'));
perturb(algo, 0.05, 1);
// A full queue of unit embeddings (so it joins Sinkhorn), and prototypes off the unit sphere
// (the loss re-normalises them in place).
torch.noGrad(() =>
  torch.tidy(() => {
    const g = new torch.Generator().manualSeed(3);
    const queue = algo.head.loss.queue as torch.Tensor;
    queue.copy_(torch.F.normalize(torch.randn(queue.shape, { generator: g, dtype: 'float64' }), { dim: -1 }));
    algo.head.loss.prototypes.weight.mul_(1.7);
  }),
);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult>(algo, seededViews([16, 16, 8, 8]), progress, PY, { cfg: swavLoss });

test('SwAV: the loss equals MMSelfSup’s swapped prediction with Sinkhorn codes and a full queue (2 + 2 crops)', () =>
  checkLoss(R));

test('SwAV: the gradient of every trainable parameter (prototypes included) equals PyTorch’s', () => checkGrads(R));

test('SwAV: the prototypes (normalised in place) and the queue after the call equal PyTorch’s', () => {
  checkState(R, (k) => k.startsWith('head.'));
});

test('SwAV: BN running statistics after the call equal PyTorch’s', (t) => {
  checkState(R);
  t.diagnostic(summary(R));
});
