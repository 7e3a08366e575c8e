/**
 * EVA's behaviour: the head counts only the removed patches (a perfect prediction there gives 0
 * whatever the visible ones), AdamW steps lower the loss with the teacher untouched, and a teacher
 * that does not fit the student is an error naming what differs.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ConfigError } from '../../../src/core/schema.js';
import { ALGORITHMS, EVA, MILANPretrainHead, CosineSimilarityLoss } from '../../../src/index.js';
import { writeRandomClip } from '../target-generators/clip-teacher.js';

const ARCH = { imgSize: 16, patchSize: 4, embedDim: 12, depth: 1, numHeads: 3, outputDim: 6 };
const teacher = writeRandomClip(ARCH, 1);
test.after(() => rmSync(dirname(teacher), { recursive: true, force: true }));
const cfg = {
  type: 'EVA',
  backbone: { type: 'MAEViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2 },
  neck: {
    type: 'MAEPretrainDecoder',
    numPatches: 16,
    patchSize: 4,
    embedDim: 16,
    decoderEmbedDim: 8,
    decoderDepth: 1,
    decoderNumHeads: 2,
    predictFeatureDim: 6,
  },
  head: { type: 'MILANPretrainHead', loss: { type: 'CosineSimilarityLoss', shiftFactor: 2, scaleFactor: 2 } },
  targetGenerator: { type: 'CLIPGenerator', tokenizerPath: teacher, ...ARCH },
};

test('MILANPretrainHead: 2 − 2·cos over the masked tokens only; 0 when they are predicted up to scale', () => {
  const head = new MILANPretrainHead({ loss: { type: 'CosineSimilarityLoss', shiftFactor: 2, scaleFactor: 2 } });
  assert.ok(head.loss instanceof CosineSimilarityLoss);
  torch.tidy(() => {
    const target = torch.randn([2, 4, 5]);
    const mask = torch.tensor([1, 0, 1, 0, 0, 0, 0, 1], { shape: [2, 4] });
    // Masked tokens: the target times 3 (cosine 1); visible ones: the negated target (cosine −1).
    const pred = torch.where(mask.unsqueeze(-1).gt(0), target.mul(3), target.neg());
    assert.ok(Math.abs(head.forward(pred, target, mask).item()) < 1e-6);
    // Without a mask every token counts: 5 of 8 have cosine −1 (term 4), 3 have 0: mean 20/8.
    assert.ok(Math.abs(head.forward(pred, target).item() - 2.5) < 1e-5);
    assert.throws(() => head.forward(pred, target.slice(1, 0, 3)), /must both be \(N, T, D\)/);
  });
});

test('EVA: AdamW steps lower the loss; the teacher is not trained', () => {
  torch.manualSeed(3);
  const algo = ALGORITHMS.build(cfg, 'model') as EVA;
  assert.ok(algo instanceof EVA);
  const params = [...algo.parameters()].filter((p) => p.requiresGrad);
  assert.ok(params.length > 0 && [...algo.targetGenerator.parameters()].every((p) => !p.requiresGrad));
  const teacherBefore = torch.keep(algo.targetGenerator.visual.conv1.weight.clone());
  const opt = new torch.optim.AdamW(params, { lr: 1e-2, weightDecay: 0 });
  const views = [
    torch.randint(0, 256, [4, 3, 16, 16], { generator: new torch.Generator().manualSeed(4) }).to({ dtype: 'uint8' }),
  ];
  const losses: number[] = [];
  for (let i = 0; i < 8; i++) {
    torch.manualSeed(5);
    torch.tidy(() => {
      opt.zeroGrad();
      const { loss } = algo.loss({ views });
      loss.backward();
      opt.step();
      losses.push(loss.item());
    });
  }
  assert.ok(losses[7] < losses[0] * 0.9, `loss ${losses[0]} → ${losses[7]}`);
  assert.equal(
    torch.tidy(() => algo.targetGenerator.visual.conv1.weight.sub(teacherBefore).abs().max().item()),
    0,
  );
  algo.dispose();
});

test('EVA: a teacher of another grid or width than the student is a ConfigError', () => {
  const other = writeRandomClip({ ...ARCH, imgSize: 32, patchSize: 8 }, 1);
  try {
    assert.throws(
      () =>
        ALGORITHMS.build(
          { ...cfg, targetGenerator: { ...cfg.targetGenerator, tokenizerPath: other, imgSize: 32, patchSize: 8 } },
          'model',
        ),
      (e: Error) => e instanceof ConfigError && /imgSize 32 must be the backbone's 16/.test(e.message),
    );
  } finally {
    rmSync(dirname(other), { recursive: true, force: true });
  }
  assert.throws(
    () => ALGORITHMS.build({ ...cfg, neck: { ...cfg.neck, predictFeatureDim: 48 } }, 'model'),
    (e: Error) => e instanceof ConfigError && e.message.startsWith('model.neck'),
  );
});
