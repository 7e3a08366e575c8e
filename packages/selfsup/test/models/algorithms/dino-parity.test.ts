/**
 * DINO (ResNet student) against a PyTorch re-statement of the official DINO loss and head
 * (Caron et al. 2021; MMSelfSup 1.x's projects/dino DINOHead/DINONeck) with MMSelfSup's CosineEMA
 * teacher: 2 global (16 px) + 2 local (8 px) crops; the student's backbone runs once per
 * resolution group, pooled features go through the 3-layer GELU MLP, L2 normalisation and the
 * weight-normalised last layer (g fixed at 1); under no_grad the teacher is updated
 * (m = 1 − (1 − m₀)(cos(πk/K) + 1)/2, buffers copied) and sees the global crops; targets are
 * softmax((t − c)/τ_t) with τ_t from the official schedule linspace(0.04, 0.07, E_warm)[epoch];
 * every student crop predicts the other global crops' targets through log_softmax(s/0.1);
 * finally c ← 0.9·c + 0.1·mean(t). float64; see parity-reference.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, DINO, type TrainProgress } from '../../../src/index.js';
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

const K = 32;
const BASE_MOMENTUM = 0.9;
const head = {
  type: 'DINOHead',
  outChannels: K,
  studentTemp: 0.1,
  centerMomentum: 0.9,
  warmupTeacherTemp: 0.04,
  teacherTemp: 0.07,
  warmupTeacherTempEpochs: 10,
};
const cfg = {
  type: 'DINO',
  backbone: TINY_RESNET,
  neck: { type: 'DINONeck', inChannels: TINY_FEATURES, hiddenChannels: 32, bottleneckChannels: 8, outChannels: K },
  head,
  baseMomentum: BASE_MOMENTUM,
};

const PY = `
import numpy as np

class DINONeck(nn.Module):
    def __init__(self, cin, hidden, bottleneck, out):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(cin, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, bottleneck))
        self.last_layer = nn.utils.weight_norm(nn.Linear(bottleneck, out, bias=False))
        self.last_layer.weight_g.requires_grad = False           # norm_last_layer

    def forward(self, maps):
        x = F.adaptive_avg_pool2d(maps[0], 1).flatten(1)        # a ResNet's pooled features
        return self.last_layer(F.normalize(self.mlp(x), dim=-1, p=2))

class DINOHead(nn.Module):
    def __init__(self, c, epochs):
        super().__init__()
        self.c = c
        self.register_buffer('center', torch.zeros(1, c['outChannels']))
        warm = c['warmupTeacherTempEpochs']
        self.teacher_temp_schedule = np.concatenate((
            np.linspace(c['warmupTeacherTemp'], c['teacherTemp'], warm),
            np.ones(epochs - warm) * c['teacherTemp']))

    def forward(self, student_output, teacher_output, epoch, ncrops):
        student_out = (student_output / self.c['studentTemp']).chunk(ncrops)
        temp = float(self.teacher_temp_schedule[epoch])
        teacher_out = F.softmax((teacher_output - self.center) / temp, dim=-1).detach().chunk(2)
        total, terms = 0, 0
        for iq, q in enumerate(teacher_out):
            for v, s in enumerate(student_out):
                if v == iq:
                    continue
                total = total + torch.sum(-q * F.log_softmax(s, dim=-1), dim=-1).mean()
                terms += 1
        with torch.no_grad():
            batch_center = teacher_output.sum(dim=0, keepdim=True) / len(teacher_output)
            self.center.copy_(self.center * self.c['centerMomentum'] + batch_center * (1 - self.c['centerMomentum']))
        self.temp = temp
        return total / terms

class DINO(nn.Module):
    def __init__(self, head_cfg, base_momentum, epochs, max_iters):
        super().__init__()
        neck = lambda: DINONeck(64, 32, 8, head_cfg['outChannels'])
        self.backbone = TinyResNet()
        self.neck = neck()
        self.head = DINOHead(head_cfg, epochs)
        self.teacher = EMA(nn.Sequential(TinyResNet(), neck()),
                           lambda steps: cosine_momentum(base_momentum, steps, max_iters))

    def forward(self, views, epoch):
        globals_, locals_ = torch.cat(views[:2]), torch.cat(views[2:])
        student = torch.cat([self.neck(self.backbone(globals_)), self.neck(self.backbone(locals_))])
        with torch.no_grad():
            self.momentum = self.teacher.update_parameters(nn.Sequential(self.backbone, self.neck))
            teacher = self.teacher(globals_)
        return self.head(student, teacher, epoch, len(views))

args = (D['head'], D['base_momentum'], PROGRESS['maxEpochs'], PROGRESS['maxIters'])
model = build(DINO(*args))
pert = build(DINO(*args))                                         # (weight_norm modules do not deepcopy)
pert.head.c = dict(D['head'], studentTemp=D['head']['studentTemp'] * 1.01)
loss = model(VIEWS, PROGRESS['epoch'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS, PROGRESS['epoch']).item(), 'momentum': model.momentum,
                           'teacher_temp': model.head.temp})
`;

const ITER = 3;
torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', DINO, 'test'));
const fixedNorm = (name: string) => name.endsWith('weight_g');
perturb(algo, 0.05, 1, fixedNorm);
// A teacher ITER updates into training, different from the student, and a non-zero centre.
torch.noGrad(() => {
  algo.teacher.steps.fill_(ITER);
  algo.head.center.copy_(torch.randn([1, K], { generator: new torch.Generator().manualSeed(3), dtype: 'float64' }));
});
perturb(algo.teacher, 0.05, 2, fixedNorm);
const progress: TrainProgress = { epoch: 3, iter: ITER, maxEpochs: 20, maxIters: 10 };
const R = runParity<PyResult & { momentum: number; teacher_temp: number }>(algo, seededViews([16, 16, 8, 8]), progress, PY, {
  head,
  base_momentum: BASE_MOMENTUM,
});

test('DINO: the loss equals the official DINO loss (centred, sharpened teacher; τ_t at epoch 3 of the warm-up)', () => {
  assert.ok(Math.abs(R.logs.teacher_temp - R.ref.teacher_temp) < 1e-15, `τ_t ${R.logs.teacher_temp} vs ${R.ref.teacher_temp}`);
  checkLoss(R);
});

test('DINO: the gradient of every trainable parameter equals PyTorch’s (weight_g fixed)', () => checkGrads(R));

test('DINO: the teacher after the call is MMSelfSup’s CosineEMA step of the student', () => {
  assert.ok(Math.abs(R.logs.momentum - R.ref.momentum) < 1e-15, `momentum ${R.logs.momentum} vs ${R.ref.momentum}`);
  checkState(R, (k) => k.startsWith('teacher.'));
});

test('DINO: the centre after the call is 0.9·c + 0.1·mean(teacher outputs); BN statistics match', (t) => {
  checkState(R, (k) => k === 'head.center');
  checkState(R);
  t.diagnostic(`momentum ${R.logs.momentum}, τ_t ${R.logs.teacher_temp}; ${summary(R)}`);
});
