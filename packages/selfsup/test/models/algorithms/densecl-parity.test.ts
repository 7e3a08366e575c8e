/**
 * DenseCL against a PyTorch re-statement of MMSelfSup's DenseCL and DenseCLNeck (Wang et al.
 * 2021) on 32 px views (a 4×4 grid): the query encoder's backbone map and the neck's global
 * projection, dense 1×1-conv projections and their position average, all L2-normalised; under
 * no_grad the key encoder's EMA step (buffers copied, mmengine's EMA) and the keys; the global
 * InfoNCE against the key and `queue`; the dense InfoNCE where each query position's positive is
 * the key position of most similar backbone feature and the negatives are `queue2`;
 * L = (1 − λ)·L_single + λ·L_dense; then the global keys go into `queue` and the averaged dense
 * keys into `queue2`. float64; see parity-reference.ts.
 */
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, DenseCL, type TrainProgress } from '../../../src/index.js';
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

const TEMPERATURE = 0.2;
const MOMENTUM = 0.9;
const QUEUE_LEN = 16;
const FEAT_DIM = 16;
const LAMBDA = 0.3;
const cfg = {
  type: 'DenseCL',
  backbone: TINY_RESNET,
  neck: { type: 'DenseCLNeck', inChannels: TINY_FEATURES, hidChannels: 32, outChannels: FEAT_DIM, numGrid: null },
  head: { type: 'ContrastiveHead', temperature: TEMPERATURE },
  queueLen: QUEUE_LEN,
  featDim: FEAT_DIM,
  momentum: MOMENTUM,
  lossLambda: LAMBDA,
};

const PY = `
class DenseCLNeck(nn.Module):
    def __init__(self, cin, hid, out):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(cin, hid), nn.ReLU(), nn.Linear(hid, out))
        self.mlp2 = nn.Sequential(nn.Conv2d(cin, hid, 1), nn.ReLU(), nn.Conv2d(hid, out, 1))

    def forward(self, maps):
        x = maps[0]
        single = self.mlp(F.adaptive_avg_pool2d(x, 1).flatten(1))
        dense = self.mlp2(x)                                  # (N, D, S, S), no num_grid pooling
        return [single, dense.flatten(2), F.adaptive_avg_pool2d(dense, 1).flatten(1)]

def infonce(pos, neg, temperature):
    """MMSelfSup's ContrastiveHead: CE(cat(pos, neg)/τ, 0)."""
    logits = torch.cat([pos, neg], 1) / temperature
    return F.cross_entropy(logits, torch.zeros(logits.shape[0], dtype=torch.long))

def enqueue(queue, ptr, keys):
    p, b, K = int(ptr), keys.shape[0], queue.shape[1]
    queue[:, torch.arange(p, p + b) % K] = keys.t()
    ptr[0] = (p + b) % K

class DenseCL(nn.Module):
    def __init__(self, momentum, queue_len, feat_dim, loss_lambda):
        super().__init__()
        for name in ('queue', 'queue2'):
            self.register_buffer(name, torch.zeros(feat_dim, queue_len))
            self.register_buffer(name + '_ptr', torch.zeros(1, dtype=torch.long))
        self.backbone = TinyResNet()
        self.neck = DenseCLNeck(64, 32, feat_dim)
        self.encoder_k = EMA(nn.Sequential(TinyResNet(), DenseCLNeck(64, 32, feat_dim)), lambda steps: momentum)
        self.loss_lambda = loss_lambda

    @staticmethod
    def encode(backbone, neck, x):
        b = backbone(x)
        single, grid, pooled = neck(b)
        b = b[0].flatten(2)                                   # (N, C, S²)
        return [F.normalize(t, dim=1) for t in (single, grid, pooled, b)]

    def forward(self, views, temperature):
        im_q, im_k = views[:2]
        q, q_grid, q2, q_b = self.encode(self.backbone, self.neck, im_q)
        with torch.no_grad():
            self.encoder_k.update_parameters(nn.Sequential(self.backbone, self.neck))
            k, k_grid, k2, k_b = self.encode(self.encoder_k.module[0], self.encoder_k.module[1], im_k)
        loss_single = infonce((q * k).sum(1, keepdim=True), q @ self.queue.clone(), temperature)
        # Dense: each query position's positive is the key position with the most similar backbone feature.
        match = torch.bmm(q_b.transpose(1, 2), k_b).argmax(dim=2)                 # (N, S²)
        matched = torch.gather(k_grid, 2, match.unsqueeze(1).expand(-1, k_grid.shape[1], -1))
        pos_dense = (q_grid * matched).sum(1).reshape(-1, 1)                        # (N·S², 1)
        neg_dense = q_grid.transpose(1, 2).reshape(-1, q_grid.shape[1]) @ self.queue2.clone()
        loss_dense = infonce(pos_dense, neg_dense, temperature)
        with torch.no_grad():
            enqueue(self.queue, self.queue_ptr, k)
            enqueue(self.queue2, self.queue2_ptr, k2)
        self.parts = [(loss_single * (1 - self.loss_lambda)).item(), (loss_dense * self.loss_lambda).item()]
        return loss_single * (1 - self.loss_lambda) + loss_dense * self.loss_lambda

model = build(DenseCL(D['momentum'], D['queue_len'], D['feat_dim'], D['loss_lambda']))
pert = copy.deepcopy(model)
pert.loss_lambda *= 1.01
loss = model(VIEWS, D['temperature'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS, D['temperature']).item(), 'parts': model.parts})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', DenseCL, 'test'));
perturb(algo, 0.05, 1);
// A key encoder one step into training, different from the query encoder; pointers 4 columns
// before the end of the queues, so both wrap.
torch.noGrad(() => {
  algo.encoderK.steps.fill_(1);
  algo.queuePtr.fill_(QUEUE_LEN - 4);
  algo.queue2Ptr.fill_(QUEUE_LEN - 2);
});
perturb(algo.encoderK, 0.05, 2);
const progress: TrainProgress = { epoch: 0, iter: 1, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult & { parts: number[] }>(algo, seededViews([32, 32]), progress, PY, {
  temperature: TEMPERATURE,
  momentum: MOMENTUM,
  queue_len: QUEUE_LEN,
  feat_dim: FEAT_DIM,
  loss_lambda: LAMBDA,
});

test('DenseCL: the loss equals MMSelfSup’s (1 − λ)·L_single + λ·L_dense, term by term', () => {
  checkLoss(R);
  const logged = [R.logs.loss_single, R.logs.loss_dense];
  R.ref.parts.forEach((v, i) => {
    if (!(Math.abs(logged[i] - v) <= 1e-8 * (1 + Math.abs(v)))) throw new Error(`term ${i}: ${logged[i]} vs ${v}`);
  });
});

test('DenseCL: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('DenseCL: the key encoder after the call is m·θ_k + (1 − m)·θ_q (buffers copied, then its own forward)', () => {
  checkState(R, (k) => k.startsWith('encoder_k.'));
});

test('DenseCL: global and dense keys are enqueued (wrapping) and both pointers advance', (t) => {
  checkState(R, (k) => k.startsWith('queue'));
  checkState(R);
  t.diagnostic(summary(R));
});
