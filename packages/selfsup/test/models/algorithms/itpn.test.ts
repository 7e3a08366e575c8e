/**
 * iTPN's CLIP-target wiring (the arithmetic is in itpn-clip-parity.test.ts): the keys, a frozen
 * teacher, and errors naming the config key for mismatched parts, a missing teacher file, and
 * batches without the second view or the pipeline's mask.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, ITPN } from '../../../src/index.js';
import { writeRandomClip } from '../target-generators/clip-teacher.js';

const arch = { imgSize: 32, patchSize: 8, embedDim: 12, depth: 1, numHeads: 3, outputDim: 6 };
const teacher = writeRandomClip(arch, 1);
test.after(() => rmSync(dirname(teacher), { recursive: true, force: true }));

const backbone = {
  type: 'iTPNHiViT',
  imgSize: 32,
  patchSize: 8,
  embedDims: 32,
  depths: [1, 1, 1],
  numHeads: 2,
  reconstructionType: 'clip',
};
const neck = {
  type: 'iTPNPretrainDecoder',
  numPatches: 16,
  patchSize: 8,
  embedDim: 32,
  fpnDim: 16,
  fpnDepth: 1,
  decoderEmbedDim: 32,
  reconstructionType: 'clip',
};
const head = { type: 'iTPNClipHead', embedDims: 32, numEmbed: 6, loss: { type: 'CosineSimilarityLoss' } };
const targetGenerator = { type: 'CLIPGenerator', tokenizerPath: teacher, ...arch };
const cfg = { type: 'iTPN', backbone, neck, head, targetGenerator };

test('iTPN clip: mmpretrain’s keys, a frozen teacher, a finite loss from two views and a mask', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.build(cfg, 'model');
  assert.ok(algo instanceof ITPN);
  const keys = Object.keys(algo.stateDict());
  for (const k of ['backbone.mask_token', 'neck.norm.weight', 'head.cls_head.weight', 'target_generator.tokenizer.visual.proj'])
    assert.ok(keys.includes(k), k);
  for (const [k, p] of algo.namedParameters()) if (k.startsWith('target_generator.')) assert.equal(p.requiresGrad, false, k);
  const views = [0, 1].map(() => torch.randint(0, 256, [2, 3, 32, 32]).to({ dtype: 'uint8' }));
  const mask = torch.rand([2, 4, 4]).lt(0.5);
  const loss = torch.tidy(() => algo.loss({ views, masks: [mask] }).loss.item());
  assert.ok(Number.isFinite(loss) && loss >= -1 && loss <= 1, `−cos ${loss}`);
  assert.throws(() => algo.loss({ views: [views[0]], masks: [mask] }), /two views per sample/);
  assert.throws(() => algo.loss({ views }), /no patch mask.*BEiTMaskGenerator/);
  assert.throws(
    () => algo.loss({ views, masks: [torch.zeros([2, 3, 3])] }),
    /mask \[2,3,3\] does not match 2 images of 4×4 patches/,
  );
  assert.throws(() => algo.reconstruct(views[0]), /only the pixel target reconstructs/);
  algo.dispose();
});

test('iTPN clip: mismatched parts and a missing teacher are errors naming the config key', () => {
  const build = (c: Record<string, unknown>) => ALGORITHMS.build(c, 'model');
  assert.throws(() => build({ ...cfg, targetGenerator: undefined }), /model\.targetGenerator.*needs a teacher/s);
  assert.throws(() => build({ ...cfg, neck: { ...neck, reconstructionType: 'pixel' } }), /model\.neck\.reconstructionType/);
  assert.throws(
    () => build({ ...cfg, head: { type: 'MAEPretrainHead', patchSize: 8 } }),
    /model\.head.*needs an 'iTPNClipHead'/s,
  );
  assert.throws(() => build({ ...cfg, head: { ...head, numEmbed: 8 } }), /model\.targetGenerator.*head\.numEmbed is 8/s);
  assert.throws(
    () => build({ ...cfg, targetGenerator: { ...targetGenerator, tokenizerPath: '/nonexistent/clip.pth' } }),
    /model\.targetGenerator\.tokenizerPath.*no teacher checkpoint/s,
  );
  assert.throws(
    () =>
      build({
        type: 'iTPN',
        backbone: { ...backbone, reconstructionType: 'pixel' },
        neck: { ...neck, reconstructionType: 'pixel' },
        head: { type: 'MAEPretrainHead', patchSize: 8 },
        targetGenerator,
      }),
    /pixel target takes no targetGenerator/,
  );
});
