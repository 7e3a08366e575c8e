import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { ClsHead } from '../../../src/models/heads/cls-head.js';
import { HEADS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

test('ClsHead: cross entropy of the fc scores equals the hand value; lossWeight scales it', () => {
  torch.tidy(() => {
    const head = HEADS.build({ type: 'ClsHead', inChannels: 2, numClasses: 2 }, 'head') as ClsHead;
    torch.noGrad(() => {
      head.fc_cls.weight.copy_(torch.eye(2));
      head.fc_cls.bias?.zero_();
    });
    // Scores (0, ln 3) with label 1: softmax gives 3/4, so the loss is ln(4/3); with label 0, ln 4.
    const x = torch.tensor([
      [0, Math.log(3)],
      [0, Math.log(3)],
    ]);
    const loss = head.forward([x], torch.tensor([1, 0], { dtype: 'int64' })).item();
    assert.ok(Math.abs(loss - (Math.log(4 / 3) + Math.log(4)) / 2) < 1e-6, `loss ${loss}`);
    const weighted = HEADS.build(
      { type: 'ClsHead', inChannels: 2, numClasses: 2, loss: { type: 'CrossEntropyLoss', lossWeight: 2 } },
      'head',
    ) as ClsHead;
    torch.noGrad(() => {
      weighted.fc_cls.weight.copy_(torch.eye(2));
      weighted.fc_cls.bias?.zero_();
    });
    assert.ok(Math.abs(weighted.forward([x], torch.tensor([1, 0], { dtype: 'int64' })).item() - 2 * loss) < 1e-6);
  });
});

test('ClsHead: average-pools a map when withAvgPool, starts from N(0, std²), and names bad inputs', () => {
  torch.tidy(() => {
    torch.manualSeed(0);
    const head = HEADS.build(
      { type: 'ClsHead', withAvgPool: true, inChannels: 256, numClasses: 200, initCfg: { type: 'Normal', std: 0.005 } },
      'head',
    ) as ClsHead;
    const std = head.fc_cls.weight.std().item();
    assert.ok(Math.abs(std - 0.005) < 0.0002, `weight std ${std}`);
    const map = torch.randn([3, 256, 4, 4]);
    const [scores] = head.logits([map]);
    const pooled = head.fc_cls.forward(map.mean([2, 3]));
    assert.ok(scores.sub(pooled).abs().max().item() < 1e-6);
    assert.throws(() => head.logits([torch.randn([3, 256])]), /withAvgPool expects a \(N, C, H, W\) map/);
    const flat = HEADS.build({ type: 'ClsHead', inChannels: 4, numClasses: 2 }, 'head') as ClsHead;
    assert.throws(() => flat.logits([torch.randn([3, 5])]), /expected 4 input features \(inChannels\), got 5/);
    assert.throws(
      () => flat.forward([torch.randn([3, 4])], torch.tensor([0, 1], { dtype: 'int64' })),
      /CrossEntropyLoss: expected logits \(N, K\) and labels \(N\)/,
    );
  });
});
