/**
 * MoCo v2 against a PyTorch re-statement of MMSelfSup 1.x's MoCo (He et al. 2020; Chen et al.
 * 2020): normalised query q of view 0; under no_grad the key encoder is updated first
 * (θ_k ← m·θ_k + (1 − m)·θ_q, buffers copied, as mmengine's EMA), then the normalised key k of
 * view 1; InfoNCE over cat(q·k, q·queue)/τ with label 0; finally the keys are written into the
 * queue at queue_ptr (here wrapping past its end) and the pointer advances. Shuffle-BN is the
 * identity in one process (a permutation inside the batch). float64; see parity-reference.ts.
 */
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, MoCo, type TrainProgress } from '../../../src/index.js';
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
const cfg = {
  type: 'MoCo',
  backbone: TINY_RESNET,
  neck: { type: 'MoCoV2Neck', inChannels: TINY_FEATURES, hidChannels: 32, outChannels: FEAT_DIM },
  head: { type: 'ContrastiveHead', temperature: TEMPERATURE },
  queueLen: QUEUE_LEN,
  featDim: FEAT_DIM,
  momentum: MOMENTUM,
};

const PY = `
class MoCoV2Neck(nn.Module):
    def __init__(self, cin, hid, out):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(cin, hid), nn.ReLU(), nn.Linear(hid, out))

    def forward(self, x):
        return [self.mlp(F.adaptive_avg_pool2d(x[0], 1).flatten(1))]

class MoCo(nn.Module):
    def __init__(self, momentum, queue_len, feat_dim):
        super().__init__()
        self.register_buffer('queue', torch.zeros(feat_dim, queue_len))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self.backbone = TinyResNet()
        self.neck = MoCoV2Neck(64, 32, feat_dim)
        self.encoder_k = EMA(nn.Sequential(TinyResNet(), MoCoV2Neck(64, 32, feat_dim)), lambda steps: momentum)

    def forward(self, views, temperature):
        im_q, im_k = views[:2]
        q = F.normalize(self.neck(self.backbone(im_q))[0], dim=1)
        with torch.no_grad():
            self.encoder_k.update_parameters(nn.Sequential(self.backbone, self.neck))
            k = F.normalize(self.encoder_k(im_k)[0], dim=1)
        l_pos = torch.einsum('nc,nc->n', q, k).unsqueeze(-1)
        l_neg = torch.einsum('nc,ck->nk', q, self.queue.clone())
        logits = torch.cat([l_pos, l_neg], 1) / temperature
        loss = F.cross_entropy(logits, torch.zeros(q.shape[0], dtype=torch.long))
        with torch.no_grad():
            ptr, b, K = int(self.queue_ptr), k.shape[0], self.queue.shape[1]
            self.queue[:, torch.arange(ptr, ptr + b) % K] = k.t()
            self.queue_ptr[0] = (ptr + b) % K
        return loss

model = build(MoCo(D['momentum'], D['queue_len'], D['feat_dim']))
pert = copy.deepcopy(model)
loss = model(VIEWS, D['temperature'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS, D['temperature'] * 1.01).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', MoCo, 'test'));
perturb(algo, 0.05, 1);
// A key encoder one step into training (so the EMA, not the first-step copy, runs) that differs
// from the query encoder, and a queue pointer 4 columns before the end (the keys wrap around).
torch.noGrad(() => {
  algo.encoderK.steps.fill_(1);
  algo.queuePtr.fill_(QUEUE_LEN - 4);
});
perturb(algo.encoderK, 0.05, 2);
const progress: TrainProgress = { epoch: 0, iter: 1, maxEpochs: 1, maxIters: 10 };
const R = runParity<PyResult>(algo, seededViews([16, 16]), progress, PY, {
  temperature: TEMPERATURE,
  momentum: MOMENTUM,
  queue_len: QUEUE_LEN,
  feat_dim: FEAT_DIM,
});

test('MoCo v2: the loss equals MMSelfSup’s InfoNCE against key and queue (τ 0.2)', () => checkLoss(R));

test('MoCo v2: the gradient of every trainable parameter equals PyTorch’s', () => checkGrads(R));

test('MoCo v2: the key encoder after the call is m·θ_k + (1 − m)·θ_q (buffers copied, then its own forward)', () => {
  checkState(R, (k) => k.startsWith('encoder_k.'));
});

test('MoCo v2: the keys are enqueued at queue_ptr (wrapping) and the pointer advances', (t) => {
  checkState(R, (k) => k.startsWith('queue'));
  checkState(R);
  t.diagnostic(summary(R));
});
