/**
 * MILAN's behaviour: the ViT keeps exactly the patches its importance allows when only `keep` have
 * any; the decoder never rewrites the visible tokens (their outputs ignore the blocks); a few AdamW
 * steps lower the loss while the teacher stays untouched; parts that do not fit are errors.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ConfigError } from '../../../src/core/schema.js';
import { ALGORITHMS, MILAN, MILANPretrainDecoder, MILANViT } from '../../../src/index.js';
import { writeRandomClip } from '../target-generators/clip-teacher.js';

const ARCH = { imgSize: 16, patchSize: 4, embedDim: 12, depth: 1, numHeads: 3, outputDim: 6 };
const teacher = writeRandomClip(ARCH, 2);
test.after(() => rmSync(dirname(teacher), { recursive: true, force: true }));
const cfg = {
  type: 'MILAN',
  backbone: { type: 'MILANViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2 },
  neck: {
    type: 'MILANPretrainDecoder',
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

test('MILANViT keeps exactly the patches with importance when only 4 (= 16·(1 − 0.75)) have any', () => {
  torch.manualSeed(0);
  const vit = new MILANViT({ imgSize: 16, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2 });
  const chosen = [
    [1, 6, 11, 15],
    [0, 2, 3, 9],
  ];
  torch.tidy(() => {
    const imp = torch.zeros([2, 16]);
    for (const [i, ids] of chosen.entries()) {
      for (const [r, j] of ids.entries())
        imp
          .select(0, i)
          .select(0, j)
          .fill_(r + 1);
    }
    const out = vit.forwardAttentionMasked(torch.randn([2, 3, 16, 16]), imp);
    assert.deepEqual(out.latent.shape, [2, 5, 16]);
    const kept = out.idsKeep.toList() as (number | bigint)[][];
    for (const [i, row] of kept.entries())
      assert.deepEqual(
        [...row].map(Number).sort((a, b) => a - b),
        chosen[i],
      );
    const mask = out.mask.toList() as number[][];
    for (const [i, row] of mask.entries()) {
      for (const [j, m] of row.entries()) assert.equal(m, chosen[i].includes(j) ? 0 : 1);
    }
    // ids_restore inverts keep ++ dump.
    const order = torch.cat([out.idsKeep, out.idsDump], 1).gather(1, out.idsRestore);
    assert.deepEqual(
      (order.toList() as (number | bigint)[][]).map((r) => r.map(Number)),
      [Array.from({ length: 16 }, (_, j) => j), Array.from({ length: 16 }, (_, j) => j)],
    );
  });
  vit.dispose();
});

test('MILANPretrainDecoder: visible tokens are prompts — their outputs do not depend on the blocks', () => {
  torch.manualSeed(1);
  const dec = new MILANPretrainDecoder({
    numPatches: 16,
    patchSize: 4,
    embedDim: 16,
    decoderEmbedDim: 8,
    decoderDepth: 2,
    decoderNumHeads: 2,
    predictFeatureDim: 6,
  });
  torch.tidy(() => {
    const latent = torch.randn([1, 5, 16]);
    const shuffle = torch.randperm(16).unsqueeze(0);
    const [keep, dump] = [shuffle.slice(1, 0, 4), shuffle.slice(1, 4)];
    const restore = shuffle.argsort({ dim: 1 });
    const before = dec.forward(latent, restore, keep, dump);
    torch.noGrad(() => {
      for (const p of dec.decoderBlocks.parameters()) p.add_(torch.randn(p.shape));
    });
    const after = dec.forward(latent, restore, keep, dump);
    const rows = (t: torch.Tensor, ids: torch.Tensor) => t.slice(1, 1).gather(1, ids.unsqueeze(-1).expand(1, ids.shape[1], 6));
    assert.ok(rows(after, keep).sub(rows(before, keep)).abs().max().item() < 1e-6, 'visible tokens unchanged');
    assert.ok(after.select(1, 0).sub(before.select(1, 0)).abs().max().item() < 1e-6, 'class token unchanged');
    assert.ok(rows(after, dump).sub(rows(before, dump)).abs().max().item() > 1e-3, 'mask tokens changed');
  });
  dec.dispose();
});

test('MILAN: AdamW steps lower the loss; the teacher is not trained', () => {
  torch.manualSeed(3);
  const algo = ALGORITHMS.build(cfg, 'model') as MILAN;
  assert.ok(algo instanceof MILAN);
  const params = [...algo.parameters()].filter((p) => p.requiresGrad);
  const teacherBefore = torch.keep(algo.targetGenerator.visual.proj.clone());
  const opt = new torch.optim.AdamW(params, { lr: 1e-2, weightDecay: 0 });
  const views = [
    torch.randint(0, 256, [4, 3, 16, 16], { generator: new torch.Generator().manualSeed(4) }).to({ dtype: 'uint8' }),
  ];
  const losses: number[] = [];
  for (let i = 0; i < 8; i++) {
    torch.manualSeed(5); // same masks every step: the change is the model's
    torch.tidy(() => {
      opt.zeroGrad();
      const { loss } = algo.loss({ views });
      loss.backward();
      opt.step();
      losses.push(loss.item());
    });
  }
  assert.ok(losses[7] < losses[0] * 0.9, `loss ${losses[0]} → ${losses[7]}`);
  assert.ok(torch.tidy(() => algo.targetGenerator.visual.proj.sub(teacherBefore).abs().max().item()) === 0);
  algo.dispose();
});

test('MILAN: a non-MILANViT backbone, a decoder of another width than the teacher’s, or a missing teacher are errors', () => {
  assert.throws(() => ALGORITHMS.build({ ...cfg, backbone: { ...cfg.backbone, type: 'MAEViT' } }, 'model'), /MILANViT/);
  assert.throws(
    () => ALGORITHMS.build({ ...cfg, neck: { ...cfg.neck, predictFeatureDim: 7 } }, 'model'),
    (e: Error) => e instanceof ConfigError && /predicts 7 values per token, the teacher gives 6/.test(e.message),
  );
  assert.throws(
    () => ALGORITHMS.build({ ...cfg, targetGenerator: { ...cfg.targetGenerator, tokenizerPath: '/no/clip.pth' } }, 'model'),
    (e: Error) => e instanceof ConfigError && e.message.includes('model.targetGenerator.tokenizerPath'),
  );
});
