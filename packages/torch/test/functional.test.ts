import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../src/index.js';
import { assertClose, gradCheck, pseudo, py } from './helpers.js';

const F = torch.F;

const X = pseudo([2, 3, 6, 6], 11);
const W = pseudo([4, 3, 3, 3], 12);
const B = pseudo([4], 13);
const L = pseudo([5, 4], 14);
const LW = pseudo([3, 4], 15);
const LB = pseudo([3], 16);
const Q = pseudo([2, 3, 4], 17);
const K = pseudo([2, 5, 4], 18);
const V = pseudo([2, 5, 4], 19);

const ref = py<Record<string, unknown>>(
  `import torch.nn.functional as F
x = T(D['X']); w = T(D['W']); b = T(D['B']); l = T(D['L']); lw = T(D['LW']); lb = T(D['LB'])
q = T(D['Q']); k = T(D['K']); v = T(D['V'])
tgt = torch.tensor([0, 2, 1, 3, 2])
rm = torch.zeros(3, dtype=torch.float64); rv = torch.ones(3, dtype=torch.float64)
bn = F.batch_norm(x, rm, rv, lw[0, :3].abs() + 0.5, lb, training=True, momentum=0.1, eps=1e-5)
mask = torch.tensor([[True, False, True, True, False]] * 3)
OUT = {
  'linear': F.linear(l, lw, lb),
  'conv': F.conv2d(x, w, b, stride=2, padding=1), 'conv_same': F.conv2d(x, w, None, padding='same'),
  'conv_g': F.conv2d(x[:, :2], w[:2, :1], None, groups=2, dilation=2),
  'convT': F.conv_transpose2d(x, w.transpose(0, 1), None, stride=2, padding=1, output_padding=1),
  'bn': bn, 'rm': rm, 'rv': rv, 'bn_eval': F.batch_norm(x, torch.zeros(3, dtype=torch.float64) + 0.1, torch.ones(3, dtype=torch.float64) * 2, None, None, training=False),
  'ln': F.layer_norm(x, [6, 6]), 'ln_aff': F.layer_norm(l, [4], lw[0], lb[0].repeat(4)), 'gn': F.group_norm(x.repeat(1, 2, 1, 1), 3, eps=1e-5),
  'relu': F.relu(l), 'gelu': F.gelu(l), 'gelu_tanh': F.gelu(l, approximate='tanh'), 'silu': F.silu(l), 'sigmoid': torch.sigmoid(l), 'tanh': torch.tanh(l),
  'softmax': F.softmax(l, 1), 'log_softmax': F.log_softmax(l, 0),
  'maxpool': F.max_pool2d(x, 3, stride=2, padding=1), 'avgpool': F.avg_pool2d(x, 2), 'avgpool_p': F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
  'adaptive': F.adaptive_avg_pool2d(x, (4, 3)),
  'interp_nearest': F.interpolate(x, size=(9, 4), mode='nearest'), 'interp_bilinear': F.interpolate(x, scale_factor=1.5, mode='bilinear', align_corners=False),
  'interp_bicubic_ac': F.interpolate(x, size=(4, 8), mode='bicubic', align_corners=True),
  'pad_const': F.pad(x, (1, 2, 0, 1), value=0.5), 'pad_reflect': F.pad(x, (2, 1, 1, 2), mode='reflect'),
  'pad_replicate': F.pad(x, (1, 1, 2, 0), mode='replicate'), 'pad_circular': F.pad(x, (1, 2, 2, 1), mode='circular'),
  'unfold': F.unfold(x, 3, padding=1, stride=2), 'fold': F.fold(F.unfold(x, 2, stride=2), (6, 6), 2, stride=2),
  'pixel_shuffle': F.pixel_shuffle(x.repeat(1, 4, 1, 1)[:, :8], 2),
  'ce': F.cross_entropy(l, tgt), 'ce_ls': F.cross_entropy(l, tgt, label_smoothing=0.1), 'ce_ign': F.cross_entropy(l, torch.tensor([0, -100, 1, 3, -100])),
  'ce_sum': F.cross_entropy(l, tgt, reduction='sum'), 'ce_prob': F.cross_entropy(l, F.softmax(l.flip(0), 1)),
  'mse': F.mse_loss(l, l.flip(0)), 'l1': F.l1_loss(l, l.flip(0), reduction='none'), 'sl1': F.smooth_l1_loss(l, l.flip(0), beta=0.5),
  'cos': F.cosine_similarity(l, l.flip(0), dim=1), 'normalize': F.normalize(l, dim=1), 'normalize_p1': F.normalize(l, p=1, dim=0),
  'one_hot': F.one_hot(tgt, 4), 'embedding': F.embedding(tgt, lw.t()),
  'sdpa': torch.softmax(q @ k.transpose(-2, -1) / 2.0, -1) @ v,
  'sdpa_mask': torch.softmax((q @ k.transpose(-2, -1) / 2.0).masked_fill(~mask, float('-inf')), -1) @ v,
  'dropout_eval': F.dropout(l, 0.5, training=False),
}`,
  { X, W, B, L, LW, LB, Q, K, V },
);

test('functional ops match PyTorch on the same inputs', () => {
  torch.tidy(() => {
    const d = { dtype: 'float64' as const };
    const x = torch.tensor(X, d);
    const w = torch.tensor(W, d);
    const b = torch.tensor(B, d);
    const l = torch.tensor(L, d);
    const lw = torch.tensor(LW, d);
    const lb = torch.tensor(LB, d);
    const tgt = torch.tensor([0, 2, 1, 3, 2]);
    const tol = 1e-9;
    const c = (a: torch.Tensor, k: string) => assertClose(a, ref[k] as number[], tol, k);
    c(F.linear(l, lw, lb), 'linear');
    c(F.conv2d(x, w, b, { stride: 2, padding: 1 }), 'conv');
    c(F.conv2d(x, w, null, { padding: 'same' }), 'conv_same');
    c(F.conv2d(x.index(':', '0:2'), w.index('0:2', '0:1'), null, { groups: 2, dilation: 2 }), 'conv_g');
    c(F.convTranspose2d(x, w.transpose(0, 1), null, { stride: 2, padding: 1, outputPadding: 1 }), 'convT');
    const rm = torch.zeros([3], d);
    const rv = torch.ones([3], d);
    c(
      F.batchNorm(x, rm, rv, { weight: lw.index(0, '0:3').abs().add(0.5), bias: lb, training: true, momentum: 0.1, eps: 1e-5 }),
      'bn',
    );
    c(rm, 'rm');
    c(rv, 'rv');
    c(F.batchNorm(x, torch.zeros([3], d).add(0.1), torch.ones([3], d).mul(2), { training: false }), 'bn_eval');
    c(F.layerNorm(x, [6, 6]), 'ln');
    c(F.layerNorm(l, [4], { weight: lw.index(0), bias: lb.index(0).repeat(4) }), 'ln_aff');
    c(F.groupNorm(x.repeat(1, 2, 1, 1), 3, { eps: 1e-5 }), 'gn');
    c(F.relu(l), 'relu');
    c(F.gelu(l), 'gelu');
    c(F.gelu(l, { approximate: 'tanh' }), 'gelu_tanh');
    c(F.silu(l), 'silu');
    c(F.sigmoid(l), 'sigmoid');
    c(F.tanh(l), 'tanh');
    c(F.softmax(l, 1), 'softmax');
    c(F.logSoftmax(l, 0), 'log_softmax');
    c(F.maxPool2d(x, 3, { stride: 2, padding: 1 }), 'maxpool');
    c(F.avgPool2d(x, 2), 'avgpool');
    c(F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), 'avgpool_p');
    c(F.adaptiveAvgPool2d(x, [4, 3]), 'adaptive');
    c(F.interpolate(x, { size: [9, 4], mode: 'nearest' }), 'interp_nearest');
    c(F.interpolate(x, { scaleFactor: 1.5, mode: 'bilinear', alignCorners: false }), 'interp_bilinear');
    c(F.interpolate(x, { size: [4, 8], mode: 'bicubic', alignCorners: true }), 'interp_bicubic_ac');
    c(F.pad(x, [1, 2, 0, 1], { value: 0.5 }), 'pad_const');
    c(F.pad(x, [2, 1, 1, 2], { mode: 'reflect' }), 'pad_reflect');
    c(F.pad(x, [1, 1, 2, 0], { mode: 'replicate' }), 'pad_replicate');
    c(F.pad(x, [1, 2, 2, 1], { mode: 'circular' }), 'pad_circular');
    c(F.unfold(x, 3, { padding: 1, stride: 2 }), 'unfold');
    c(F.fold(F.unfold(x, 2, { stride: 2 }), [6, 6], 2, { stride: 2 }), 'fold');
    c(F.pixelShuffle(x.repeat(1, 4, 1, 1).index(':', '0:8'), 2), 'pixel_shuffle');
    c(F.crossEntropy(l, tgt), 'ce');
    c(F.crossEntropy(l, tgt, { labelSmoothing: 0.1 }), 'ce_ls');
    c(F.crossEntropy(l, torch.tensor([0, -100, 1, 3, -100])), 'ce_ign');
    c(F.crossEntropy(l, tgt, { reduction: 'sum' }), 'ce_sum');
    c(F.crossEntropy(l, F.softmax(l.flip(0), 1)), 'ce_prob');
    c(F.mseLoss(l, l.flip(0)), 'mse');
    c(F.l1Loss(l, l.flip(0), { reduction: 'none' }), 'l1');
    c(F.smoothL1Loss(l, l.flip(0), { beta: 0.5 }), 'sl1');
    c(F.cosineSimilarity(l, l.flip(0), { dim: 1 }), 'cos');
    c(F.normalize(l, { dim: 1 }), 'normalize');
    c(F.normalize(l, { p: 1, dim: 0 }), 'normalize_p1');
    assert.deepEqual(F.oneHot(tgt, 4).toList(), ref.one_hot);
    c(F.embedding(tgt, lw.t()), 'embedding');
    const q = torch.tensor(Q, d);
    const k = torch.tensor(K, d);
    const v = torch.tensor(V, d);
    c(F.scaledDotProductAttention(q, k, v), 'sdpa');
    const mask = torch.tensor(Array.from({ length: 3 }, () => [true, false, true, true, false]));
    c(F.scaledDotProductAttention(q, k, v, { attnMask: mask }), 'sdpa_mask');
    c(F.dropout(l, 0.5, false), 'dropout_eval');
  });
});

test('dropout in training zeroes about p and scales survivors by 1/(1-p)', () => {
  torch.tidy(() => {
    torch.manualSeed(1);
    const y = F.dropout(torch.ones([20000]), 0.25, true);
    const zeros = y.eq(0).sum().item();
    assert.ok(Math.abs(zeros / 20000 - 0.25) < 0.02, `zero fraction ${zeros / 20000}`);
    assertClose(y.max(), 1 / 0.75, 1e-6);
  });
});

test('finite-difference gradients of every functional op', () => {
  torch.manualSeed(3);
  const r = (s: number[]) => torch.randn(s, { dtype: 'float64' });
  torch.tidy(() => {
    const x = r([1, 2, 5, 5]);
    const w = r([3, 2, 3, 3]);
    const b = r([3]);
    const l = r([3, 4]);
    const tgt = torch.tensor([1, 0, 3]);
    const cases: [string, (...a: torch.Tensor[]) => torch.Tensor, torch.Tensor[]][] = [
      ['linear', (a, m, c) => F.linear(a, m, c), [l, r([2, 4]), r([2])]],
      ['conv2d', (a, m, c) => F.conv2d(a, m, c, { stride: 2, padding: 1 }), [x, w, b]],
      ['convTranspose2d', (a, m) => F.convTranspose2d(a, m, null, { stride: 2 }), [x, r([2, 3, 2, 2])]],
      ['batchNorm', (a, g, c) => F.batchNorm(a, null, null, { weight: g, bias: c, training: true }), [x, r([2]), r([2])]],
      ['layerNorm', (a, g, c) => F.layerNorm(a, [4], { weight: g, bias: c }), [l, r([4]), r([4])]],
      ['groupNorm', (a) => F.groupNorm(a, 1), [x]],
      ['relu', (a) => F.relu(a), [l]],
      ['gelu', (a) => F.gelu(a), [l]],
      ['silu', (a) => F.silu(a), [l]],
      ['sigmoid', (a) => F.sigmoid(a), [l]],
      ['tanh', (a) => F.tanh(a), [l]],
      ['softmax', (a) => F.softmax(a, 1), [l]],
      ['logSoftmax', (a) => F.logSoftmax(a, 1), [l]],
      ['maxPool2d', (a) => F.maxPool2d(a, 2), [x]],
      ['avgPool2d', (a) => F.avgPool2d(a, 2, { stride: 1 }), [x]],
      ['adaptiveAvgPool2d', (a) => F.adaptiveAvgPool2d(a, 3), [x]],
      ['interpolate', (a) => F.interpolate(a, { size: [7, 3], mode: 'bilinear' }), [x]],
      ['pad', (a) => F.pad(a, [1, 2, 2, 1], { mode: 'reflect' }), [x]],
      ['unfold', (a) => F.unfold(a, 2, { stride: 1 }), [x]],
      ['fold', (a) => F.fold(a, [3, 3], 2), [r([1, 8, 4])]],
      ['pixelShuffle', (a) => F.pixelShuffle(a, 2), [r([1, 4, 2, 2])]],
      ['crossEntropy', (a) => F.crossEntropy(a, tgt, { labelSmoothing: 0.1 }), [l]],
      ['mseLoss', (a, c) => F.mseLoss(a, c), [l, r([3, 4])]],
      ['l1Loss', (a, c) => F.l1Loss(a, c), [l, r([3, 4])]],
      ['smoothL1Loss', (a, c) => F.smoothL1Loss(a, c, { beta: 0.7 }), [l, r([3, 4])]],
      ['cosineSimilarity', (a, c) => F.cosineSimilarity(a, c), [l, r([3, 4])]],
      ['normalize', (a) => F.normalize(a, { dim: 1 }), [l]],
      ['embedding', (m) => F.embedding(tgt, m), [r([4, 3])]],
      [
        'scaledDotProductAttention',
        (q, k, v) => F.scaledDotProductAttention(q, k, v),
        [r([2, 3, 4]), r([2, 5, 4]), r([2, 5, 4])],
      ],
      ['matmul+pow+exp+log', (a) => a.matmul(a.t()).pow(2).add(1).log().exp(), [l]],
      [
        'reductions',
        (a) => torch.stack([a.sum(), a.mean(), a.std(), a.norm(), a.logsumexp(1).sum(), a.max(1).values.sum()]),
        [l],
      ],
    ];
    for (const [name, f, inputs] of cases) gradCheck(f, inputs, { what: name, tol: 1e-5 });
  });
});
