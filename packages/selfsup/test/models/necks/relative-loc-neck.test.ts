import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { RelativeLocNeck } from '../../../src/models/necks/relative-loc-neck.js';
import { NECKS } from '../../../src/models/registries.js';
import { maxAbsDiff } from '../../helpers.js';
import '../../../src/builtins.js';

test('RelativeLocNeck: dropout(0.5) zeroes about half the activations and doubles the rest; eval keeps them', () => {
  torch.tidy(() => {
    torch.manualSeed(0);
    const neck = new RelativeLocNeck({ inChannels: 8, outChannels: 256 });
    const x = torch.randn([64, 16, 2, 2]);
    neck.train();
    const [dropped] = neck.forward([x]);
    // The same forward with only the dropout switched off (BN still on batch statistics).
    neck.dropout.eval();
    const [kept] = neck.forward([x]);
    const doubled = kept.mul(2);
    const zero = dropped.eq(0);
    const live = kept.gt(0);
    // Every entry is either dropped (0) or the undropped activation × 1/(1 − 0.5).
    assert.equal(maxAbsDiff(torch.where(zero, doubled, dropped), doubled), 0);
    const frac = zero.logicalAnd(live).sum().item() / live.sum().item();
    assert.ok(frac > 0.45 && frac < 0.55, `dropped fraction ${frac}`);
  });
});

test('RelativeLocNeck: fc ~ N(0, 0.01²) with zero bias, BN running mean moves by momentum 0.003', () => {
  torch.tidy(() => {
    torch.manualSeed(1);
    const neck = NECKS.build({ type: 'RelativeLocNeck', inChannels: 128, outChannels: 512 }, 'neck') as RelativeLocNeck;
    const std = neck.fc.weight.std().item();
    assert.ok(Math.abs(std - 0.01) < 0.0005, `fc weight std ${std}`);
    assert.equal(neck.fc.bias?.abs().max().item(), 0);
    assert.deepEqual(neck.fc.weight.shape, [512, 256], 'the fc takes the pair’s 2 × inChannels');
    const x = torch.randn([8, 256]).add(3);
    neck.train();
    neck.forward([x]);
    // From a zero running mean, one step leaves 0.003 × the batch mean of fc(x).
    const expected = torch.noGrad(() => neck.fc.forward(x).mean(0).mul(0.003));
    assert.ok(maxAbsDiff(neck.bn.runningMean as torch.Tensor, expected) < 1e-7);
    assert.throws(() => neck.forward([torch.randn([4, 128])]), /expected the pair's 2 × inChannels = 256 features, got 128/);
  });
});
