/**
 * MFF as an algorithm: it needs an MFFViT, logs the fusion weights, and a few AdamW steps move the
 * fusion logits and lower the loss on a fixed batch (the fusion is trained end to end).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, MFF } from '../../../src/index.js';
import '../../../src/builtins.js';

const cfg = (backbone: Record<string, unknown> = {}) => ({
  type: 'MFF',
  backbone: { type: 'MFFViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 2, numHeads: 2, outIndices: [0, 1], ...backbone },
  neck: {
    type: 'MAEPretrainDecoder',
    numPatches: 16,
    patchSize: 4,
    embedDim: 16,
    decoderEmbedDim: 8,
    decoderDepth: 1,
    decoderNumHeads: 2,
  },
  head: { type: 'MAEPretrainHead', normPix: true, patchSize: 4 },
});

test('MFF: a plain MAEViT backbone is a TypeError naming the path', () => {
  assert.throws(
    () => ALGORITHMS.build({ ...cfg(), backbone: { ...cfg().backbone, type: 'MAEViT' } }, 'model'),
    /MFF: model\.backbone must be an MFFViT/,
  );
});

test('MFF: training moves the fusion weights (logged, summing to 1) and lowers the loss', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.build(cfg(), 'model');
  assert.ok(algo instanceof MFF);
  const g = new torch.Generator().manualSeed(4);
  const views = [torch.keep(torch.randint(0, 256, [4, 3, 16, 16], { generator: g }).to({ dtype: 'uint8' }))];
  const opt = new torch.optim.AdamW(
    [...algo.parameters()].filter((p) => p.requiresGrad),
    { lr: 1e-2, weightDecay: 0 },
  );
  const losses: number[] = [];
  let logs: Record<string, number> = {};
  for (let i = 0; i < 15; i++) {
    torch.manualSeed(42); // the same mask every step: the batch can be fitted
    torch.tidy(() => {
      opt.zeroGrad();
      const out = algo.loss({ views });
      out.loss.backward();
      opt.step();
      losses.push(out.loss.item());
      logs = out.logs;
    });
  }
  assert.deepEqual(Object.keys(logs).sort(), ['weight_0', 'weight_1']);
  assert.ok(Math.abs(logs.weight_0 + logs.weight_1 - 1) < 1e-9);
  assert.notEqual(logs.weight_0, 0.5, 'the fusion logits were trained');
  assert.ok(losses[14] < 0.8 * losses[0], `loss ${losses[0]} → ${losses[14]}`);
  views[0].dispose();
  algo.dispose();
});
