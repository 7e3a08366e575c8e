import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { SimMIMHead } from '../../../src/models/heads/simmim-head.js';
import { PixelReconstructionLoss } from '../../../src/models/losses/pixel-reconstruction.js';
import { HEADS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

const L1 = { type: 'PixelReconstructionLoss', criterion: 'L1', channel: 3 } as const;
const f64 = (x: unknown) => torch.tensor(x as number[], { dtype: 'float64' });

test('SimMIMHead matches MMSelfSup’s in PyTorch: mask repeat_interleave’d by patchSize, masked L1 ÷ 3; loss and gradient', () => {
  // 2 images of 3 × 6 × 9 pixels, patch 3: a (2, 2, 3) mask.
  const pred = pseudo([2, 3, 6, 9], 1);
  const target = pseudo([2, 3, 6, 9], 2);
  const mask = [
    [
      [1, 0, 1],
      [0, 0, 1],
    ],
    [
      [0, 1, 0],
      [1, 1, 0],
    ],
  ];
  const ref = py<{ loss: number; grad: number[][][][]; pixmask: number[][][][] }>(
    `import torch.nn.functional as F
p = T(D['pred']).requires_grad_(True)
mask = torch.tensor(D['mask'], dtype=torch.bool)
m = mask.repeat_interleave(3, 1).repeat_interleave(3, 2).unsqueeze(1).contiguous()
loss = (F.l1_loss(p, T(D['target']), reduction='none') * m).sum() / m.sum() / 3
loss.backward()
OUT = {'loss': loss, 'grad': p.grad, 'pixmask': m.int()}`,
    { pred, target, mask },
  );
  const head = HEADS.buildAs({ type: 'SimMIMHead', patchSize: 3, loss: L1 }, 'head', SimMIMHead, 'test');
  assert.ok(head.loss instanceof PixelReconstructionLoss);
  assert.deepEqual(Object.keys(head.stateDict()), [], 'no parameters');
  torch.tidy(() => {
    const m = torch.tensor(mask).to('bool');
    assert.deepEqual(head.pixelMask(m).to('int32').toList(), ref.pixmask, 'the (N, 1, H, W) pixel mask');
    const p = f64(pred).requiresGrad_(true);
    const loss = head.forward(p, f64(target), m);
    loss.backward();
    assertClose(loss.item(), ref.loss, 1e-12, 'loss');
    assertClose(p.grad as torch.Tensor, ref.grad, 1e-12, 'gradient');
  });
  head.dispose();
});

test('SimMIMHead: one masked patch gives the mean |pred − target| over its 3·p² values; unmasked pixels cost nothing', () => {
  const head = new SimMIMHead({ patchSize: 2, loss: L1 });
  torch.tidy(() => {
    const target = torch.zeros([1, 3, 4, 4], { dtype: 'float64' });
    // Patch (0, 1) covers rows 0–1, columns 2–3; everything else is wildly wrong but unmasked.
    const pred = torch.full([1, 3, 4, 4], 100, { dtype: 'float64' });
    const patch = f64([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
      [
        [9, 10],
        [11, -12],
      ],
    ]);
    pred.slice(2, 0, 2).slice(3, 2, 4).copy_(patch);
    const mask = torch.tensor([0, 1, 0, 0], { shape: [1, 2, 2] }).to('bool');
    assertClose(head.forward(pred, target, mask).item(), 78 / 12, 1e-12, 'mean |d| over the 12 masked values');
    assert.throws(
      () => head.forward(pred, target, torch.ones([1, 3, 3]).to('bool')),
      /SimMIMHead: a \(N, h, w\) mask times patchSize 2 must cover .* got mask \[1,3,3\] for \[1,3,4,4\]/,
    );
  });
  head.dispose();
  assert.throws(() => HEADS.build({ type: 'SimMIMHead', patchSize: 4 }, 'model.head'), /model\.head\.loss/);
});
