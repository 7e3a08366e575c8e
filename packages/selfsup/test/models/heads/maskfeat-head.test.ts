/**
 * MaskFeatPretrainHead: the class token's prediction is dropped and the loss (default
 * PixelReconstructionLoss L2) counts masked patches only — checked against a hand computation,
 * through its gradient (zero on the class token and unmasked patches) and by changing the targets
 * of unmasked patches; bad shapes are errors naming the head.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { MaskFeatPretrainHead } from '../../../src/models/heads/maskfeat-head.js';
import { HEADS } from '../../../src/models/registries.js';
import { pseudo } from '../../helpers.js';
import '../../../src/builtins.js';

const f64 = (x: unknown) => torch.tensor(x as number[], { dtype: 'float64' });

test('MaskFeatPretrainHead: mean over masked patches of the squared error averaged over D, class token dropped', () => {
  const head = HEADS.buildAs({ type: 'MaskFeatPretrainHead' }, 'head', MaskFeatPretrainHead, 'test');
  const pred = pseudo([2, 4, 3], 1) as number[][][]; // class token + 3 patches
  const target = pseudo([2, 3, 3], 2) as number[][][];
  const mask = [
    [1, 0, 1],
    [0, 0, 1],
  ];
  let sum = 0;
  let count = 0;
  for (let n = 0; n < 2; n++)
    for (let l = 0; l < 3; l++) {
      if (!mask[n][l]) continue;
      sum += pred[n][l + 1].reduce((a, p, d) => a + (p - target[n][l][d]) ** 2, 0) / 3;
      count++;
    }
  torch.tidy(() => {
    const p = f64(pred).requiresGrad_(true);
    const m = torch.tensor(mask, { shape: [2, 1, 3] }).gt(0); // (N, h, w) with h·w = L
    const loss = head.forward(p, f64(target), m);
    assert.ok(Math.abs(loss.item() - sum / count) < 1e-12, `${loss.item()} vs hand ${sum / count}`);
    loss.backward();
    const g = (p.grad as torch.Tensor).abs().sum(-1).toList() as number[][];
    for (let n = 0; n < 2; n++) {
      assert.equal(g[n][0], 0, `image ${n}: no gradient to the class token's prediction`);
      for (let l = 0; l < 3; l++) assert.equal(g[n][l + 1] > 0, mask[n][l] === 1, `image ${n} patch ${l}`);
    }
    const moved = f64(target).clone();
    moved.select(0, 0).select(0, 1).fill_(100); // image 0, patch 1: not masked
    assert.equal(head.forward(p, moved, m).item(), loss.item(), 'the targets of unmasked patches do not count');
  });
  head.dispose();
});

test('MaskFeatPretrainHead: shapes that do not line up are errors naming the head', () => {
  const head = new MaskFeatPretrainHead();
  torch.tidy(() => {
    const m = torch.ones([2, 3], { dtype: 'bool' });
    assert.throws(
      () => head.forward(torch.zeros([2, 3, 4]), torch.zeros([2, 3, 4]), m),
      /MaskFeatPretrainHead: predictions \[2,3,4\] should hold a class token and the 3 patches/,
    );
    assert.throws(
      () => head.forward(torch.zeros([2, 4]), torch.zeros([2, 3, 4]), m),
      /MaskFeatPretrainHead: expected predictions \(N, 1\+L, D\)/,
    );
    assert.throws(
      () => head.forward(torch.zeros([2, 4, 4]), torch.zeros([2, 3, 4]), torch.ones([2, 4], { dtype: 'bool' })),
      /mask of shape \[2,4\] does not cover 2 images of 3 patches/,
    );
  });
  head.dispose();
});
