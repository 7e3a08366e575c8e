/**
 * NPID against a PyTorch re-statement of MMSelfSup 1.x's NPID (Wu et al. 2018): f = normalize(fc(avgpool(
 * backbone(x)))); `bs·neg_num` negatives drawn uniformly from the bank with the default generator
 * (MMSelfSup's AliasMethod on equal weights draws `uniform_(0, K).long()`; here `torch.randint`, and
 * both sides seed the default generator identically, so they draw the same rows); with ensure_neg
 * the draws that hit the image's own row are redrawn until none does; InfoNCE over
 * cat(⟨bank[idx], f⟩, ⟨bank[neg], f⟩)/τ with label 0; then bank[idx] ← normalize((1 − m)·bank[idx] + m·f).
 * float64; see parity-reference.ts.
 */
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, NPID, type TrainProgress } from '../../../src/index.js';
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

const TEMPERATURE = 0.07;
const FEAT_DIM = 16;
const MOMENTUM = 0.5;

const PY = `
class LinearNeck(nn.Module):
    def __init__(self, cin, out):
        super().__init__()
        self.fc = nn.Linear(cin, out)

    def forward(self, x):
        return [self.fc(F.adaptive_avg_pool2d(x[0], 1).flatten(1))]

class NPID(nn.Module):
    def __init__(self, length, feat_dim, momentum, neg_num, ensure_neg):
        super().__init__()
        self.backbone = TinyResNet()
        self.neck = LinearNeck(64, feat_dim)
        self.memory_bank = nn.Module()
        self.memory_bank.register_buffer('feature_bank', torch.zeros(length, feat_dim))
        self.momentum, self.neg_num, self.ensure_neg = momentum, neg_num, ensure_neg

    def draw(self, n):
        return torch.randint(0, self.memory_bank.feature_bank.shape[0], (n,))

    def forward(self, img, idx, temperature):
        feature = F.normalize(self.neck(self.backbone(img))[0])
        bs, feat_dim = feature.shape
        neg_idx = self.draw(bs * self.neg_num)
        if self.ensure_neg:
            neg_idx = neg_idx.view(bs, -1)
            while True:
                wrong = neg_idx == idx.view(-1, 1)
                if wrong.sum().item() > 0:
                    neg_idx[wrong] = self.draw(wrong.sum().item())
                else:
                    break
            neg_idx = neg_idx.flatten()
        bank = self.memory_bank.feature_bank
        pos_feat = torch.index_select(bank, 0, idx)
        neg_feat = torch.index_select(bank, 0, neg_idx).view(bs, self.neg_num, feat_dim)
        pos = torch.einsum('nc,nc->n', pos_feat, feature).unsqueeze(-1)
        neg = torch.bmm(neg_feat, feature.unsqueeze(2)).squeeze(2)
        logits = torch.cat([pos, neg], 1) / temperature
        loss = F.cross_entropy(logits, torch.zeros(bs, dtype=torch.long))
        with torch.no_grad():
            f = F.normalize(feature.detach())
            new = (1 - self.momentum) * bank[idx] + self.momentum * f
            bank[idx] = F.normalize(new)
        return loss, neg_idx

model = build(NPID(D['length'], D['feat_dim'], D['momentum'], D['neg_num'], D['ensure_neg']))
pert = copy.deepcopy(model)
torch.manual_seed(D['seed'])
loss, neg_idx = model(VIEWS[0], IDX, D['temperature'])
hits = int((neg_idx.view(IDX.shape[0], -1) == IDX.view(-1, 1)).sum())
torch.manual_seed(D['seed'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], IDX, D['temperature'] * 1.01)[0].item(), 'hits': hits})
`;

function run(o: { length: number; negNum: number; ensureNeg: boolean; seed: number }) {
  torch.manualSeed(0);
  const algo = toFloat64(
    ALGORITHMS.buildAs(
      {
        type: 'NPID',
        backbone: TINY_RESNET,
        neck: { type: 'LinearNeck', inChannels: TINY_FEATURES, outChannels: FEAT_DIM },
        head: { type: 'ContrastiveHead', temperature: TEMPERATURE },
        memoryBank: { type: 'SimpleMemory', length: o.length, featDim: FEAT_DIM, momentum: MOMENTUM },
        negNum: o.negNum,
        ensureNeg: o.ensureNeg,
      },
      'model',
      NPID,
      'test',
    ),
  );
  perturb(algo, 0.05, 1);
  const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
  const idx = torch.keep(torch.tensor([3, 0, o.length - 1, 2], { dtype: 'int64' }));
  // Seeded just before the call on both sides: the Python reference runs first, then selfsup's loss.
  torch.manualSeed(o.seed);
  return runParity<PyResult & { hits: number }>(
    algo,
    seededViews([16]),
    progress,
    PY,
    {
      temperature: TEMPERATURE,
      feat_dim: FEAT_DIM,
      momentum: MOMENTUM,
      length: o.length,
      neg_num: o.negNum,
      ensure_neg: o.ensureNeg,
      seed: o.seed,
    },
    [],
    idx,
  );
}

test('NPID: loss, gradients and the updated bank equal MMSelfSup’s (τ 0.07, 12 negatives from 10 rows)', (t) => {
  const r = run({ length: 10, negNum: 12, ensureNeg: false, seed: 7 });
  checkLoss(r);
  checkGrads(r);
  checkState(r, (k) => k.startsWith('memory_bank.'));
  checkState(r);
  // With 48 draws over 10 rows some negatives are the image's own row: the default keeps them.
  t.diagnostic(`${summary(r)}; negatives equal to the positive: ${r.ref.hits}`);
  if (r.ref.hits === 0) throw new Error('expected some negatives to hit the positive row (the case ensureNeg changes)');
});

test('NPID ensureNeg: the redrawn negatives, loss and gradients equal MMSelfSup’s', (t) => {
  const r = run({ length: 5, negNum: 16, ensureNeg: true, seed: 11 });
  checkLoss(r);
  checkGrads(r);
  checkState(r);
  if (r.ref.hits !== 0) throw new Error(`the reference kept ${r.ref.hits} negatives equal to the positive`);
  t.diagnostic(summary(r));
});
