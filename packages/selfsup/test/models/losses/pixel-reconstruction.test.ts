import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { PixelReconstructionLoss } from '../../../src/models/losses/pixel-reconstruction.js';
import { LOSSES } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

const f64 = (x: unknown) => torch.tensor(x as number[], { dtype: 'float64' });

test('PixelReconstructionLoss matches MMSelfSup’s formula in PyTorch: L2 on (N, L, D) tokens and L1 on (N, C, H, W) images, with gradients', () => {
  const tokPred = pseudo([3, 5, 4], 1);
  const tokTarget = pseudo([3, 5, 4], 2);
  const tokMask = [
    [1, 0, 1, 1, 0],
    [0, 0, 1, 0, 0],
    [1, 1, 1, 1, 1],
  ];
  const imgPred = pseudo([2, 3, 4, 4], 3);
  const imgTarget = pseudo([2, 3, 4, 4], 4);
  const imgMask = (pseudo([2, 1, 4, 4], 5) as number[][][][]).map((r) =>
    r.map((c) => c.map((row) => row.map((v) => (v > 0 ? 1 : 0)))),
  );
  const ref = py<{ l2: number; g2: number[][][]; l1: number; g1: number[][][][] }>(
    `
p = T(D['tp']).requires_grad_(True)
l2 = (((p - T(D['tt'])) ** 2).mean(-1) * T(D['tm'])).sum() / T(D['tm']).sum()
l2.backward()
q = T(D['ip']).requires_grad_(True)
l1 = ((q - T(D['it'])).abs() * T(D['im'])).sum() / T(D['im']).sum() / 3
l1.backward()
OUT = {'l2': l2, 'g2': p.grad, 'l1': l1, 'g1': q.grad}`,
    { tp: tokPred, tt: tokTarget, tm: tokMask, ip: imgPred, it: imgTarget, im: imgMask },
  );
  torch.tidy(() => {
    const l2 = LOSSES.build({ type: 'PixelReconstructionLoss', criterion: 'L2' });
    assert.ok(l2 instanceof PixelReconstructionLoss);
    const p = f64(tokPred).requiresGrad_(true);
    const a = l2.forward(p, f64(tokTarget), f64(tokMask));
    a.backward();
    assertClose(a.item(), ref.l2, 1e-12, 'L2 loss');
    assertClose(p.grad as torch.Tensor, ref.g2, 1e-12, 'L2 gradient');

    const l1 = LOSSES.build({ type: 'PixelReconstructionLoss', criterion: 'L1', channel: 3 });
    const q = f64(imgPred).requiresGrad_(true);
    const b = l1.forward(q, f64(imgTarget), f64(imgMask));
    b.backward();
    assertClose(b.item(), ref.l1, 1e-12, 'L1 loss');
    assertClose(q.grad as torch.Tensor, ref.g1, 1e-12, 'L1 gradient');
  });
});

test('PixelReconstructionLoss: only masked terms count (a wrong unmasked prediction costs nothing), and shapes must agree', () => {
  torch.tidy(() => {
    const l = new PixelReconstructionLoss({ criterion: 'L2' });
    const target = f64([
      [
        [1, 1],
        [2, 2],
      ],
    ]);
    const pred = f64([
      [
        [1, 1],
        [9, 9],
      ],
    ]);
    assertClose(l.forward(pred, target, f64([[1, 0]])).item(), 0, 0, 'the wrong token is not masked');
    assertClose(l.forward(pred, target, f64([[0, 1]])).item(), 49, 1e-12, '(9 − 2)² averaged over D = 49');
    assert.throws(() => l.forward(pred, f64([[1, 1]]), f64([[1]])), /prediction \[1,2,2\] and target \[1,2\]/);
  });
  assert.throws(() => LOSSES.build({ type: 'PixelReconstructionLoss', criterion: 'L3' }), /criterion/);
});
