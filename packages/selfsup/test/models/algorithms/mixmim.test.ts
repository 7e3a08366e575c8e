/**
 * MixMIM's decoder, head and algorithm on their own: the decoder's two unmixed halves, the head's
 * unmixing by hand, configuration errors, reconstruction, and that AdamW steps fit a batch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, MixMIM, MixMIMPretrainDecoder, MixMIMPretrainHead } from '../../../src/index.js';
import '../../../src/builtins.js';

const cfg = (o: { neck?: Record<string, unknown>; head?: Record<string, unknown> } = {}) => ({
  type: 'MixMIM',
  backbone: {
    type: 'MixMIMTransformerPretrain',
    imgSize: 32,
    patchSize: 2,
    embedDim: 8,
    depths: [1, 1, 1, 1],
    numHeads: [1, 2, 2, 4],
    windowSize: [4, 4, 2, 2],
  },
  neck: {
    type: 'MixMIMPretrainDecoder',
    numPatches: 4,
    encoderStride: 16,
    embedDim: 64,
    decoderEmbedDim: 8,
    decoderDepth: 1,
    decoderNumHeads: 2,
    ...o.neck,
  },
  head: { type: 'MixMIMPretrainHead', normPix: true, patchSize: 16, ...o.head },
});

test('MixMIMPretrainDecoder: the first half keeps each image’s own tokens, the second the lent ones', () => {
  torch.manualSeed(0);
  const dec = new MixMIMPretrainDecoder({ numPatches: 4, embedDim: 6, encoderStride: 2, decoderEmbedDim: 4, decoderDepth: 0 });
  torch.noGrad(() =>
    torch.tidy(() => {
      const latent = torch.randn([2, 4, 6]);
      const mask = torch.tensor([0, 1, 1, 0]).reshape(1, 4);
      // With no blocks the output is pred(norm(tokens + pos)): compare the tokens through the same map.
      const e = dec.decoderEmbed.forward(latent);
      const tok = dec.maskToken.expand(2, 4, 4);
      const m = mask.reshape(1, 4, 1).to('float32');
      const own = torch.where(m.gt(0), tok, e);
      const lent = torch.where(m.gt(0), e, tok);
      const expect = dec.decoderPred.forward(dec.decoderNorm.forward(torch.cat([own, lent], 0).add(dec.decoderPosEmbed)));
      const out = dec.forward(latent, mask);
      assert.deepEqual(out.shape, [4, 4, 12]);
      assert.ok(out.sub(expect).abs().max().item() < 1e-6);
      assert.throws(() => dec.forward(torch.randn([2, 5, 6]), mask), /expected latent \(N, 4, 6\)/);
    }),
  );
  dec.dispose();
});

test('MixMIMPretrainHead: image i takes its own half where lent out, the reversed other half elsewhere', () => {
  const head = new MixMIMPretrainHead({ patchSize: 2 });
  torch.tidy(() => {
    // Rows 0..3 of (2N = 4, L = 2, D = 1): value 10·row + cell.
    const pred = torch.tensor([0, 1, 10, 11, 20, 21, 30, 31]).reshape(4, 2, 1);
    const mask = torch.tensor([1, 0]).reshape(1, 2);
    // Image 0: cell 0 from row 0, cell 1 from row 3 (the second half reversed); image 1: row 1, then row 2.
    assert.deepEqual(head.unmix(pred, mask).reshape(-1).toList(), [0, 31, 10, 21]);
    assert.throws(() => head.unmix(torch.zeros([3, 2, 1]), mask), /two halves/);
  });
  head.dispose();
});

test('MixMIM: parts that disagree are errors naming the option', () => {
  assert.throws(
    () => ALGORITHMS.build(cfg({ neck: { numPatches: 16 } }), 'model'),
    /model\.neck\.numPatches 16 must equal the backbone's final 2×2 grid/,
  );
  assert.throws(
    () => ALGORITHMS.build(cfg({ head: { patchSize: 32 } }), 'model'),
    /model\.head\.patchSize 32 must equal the backbone's stride 16/,
  );
  assert.throws(
    () => ALGORITHMS.build(cfg({ neck: { embedDim: 32 } }), 'model'),
    /model\.neck\.embedDim 32 must equal the backbone's last width 64/,
  );
  assert.throws(
    () =>
      ALGORITHMS.build(
        { ...cfg(), backbone: { type: 'MAEViT', imgSize: 32, patchSize: 16, embedDim: 16, depth: 1, numHeads: 2 } },
        'model',
      ),
    /MixMIM: model\.backbone must be a MixMIMTransformerPretrain/,
  );
});

test('MixMIM: reconstruct returns images, the unmixed prediction and the lent cells as the mask', () => {
  torch.manualSeed(2);
  const algo = ALGORITHMS.build(cfg(), 'model') as MixMIM;
  assert.deepEqual(algo.reconstructionSize, [32, 32]);
  torch.tidy(() => {
    const imgs = torch.randint(0, 256, [2, 3, 32, 32]).to({ dtype: 'uint8' });
    const r = algo.reconstruct(imgs);
    assert.deepEqual(r.reconstruction.shape, [2, 3, 32, 32]);
    assert.deepEqual(r.mask.shape, [2, 1, 32, 32]);
    assert.equal(r.mask.mean().item(), 0.5, 'two of four 16-px cells');
    assert.ok(r.original.sub(imgs.to('float32')).abs().max().item() < 1e-3);
    assert.equal(r.reconstruction.requiresGrad, false);
  });
  algo.dispose();
});

test('MixMIM: AdamW steps on one batch lower the loss', () => {
  torch.manualSeed(3);
  const algo = ALGORITHMS.build(cfg(), 'model');
  assert.ok(algo instanceof MixMIM);
  const opt = new torch.optim.AdamW(
    [...algo.parameters()].filter((p) => p.requiresGrad),
    { lr: 3e-3 },
  );
  const g = new torch.Generator().manualSeed(4);
  const imgs = torch.keep(torch.randint(0, 256, [4, 3, 32, 32], { generator: g }).to({ dtype: 'uint8' }));
  const losses: number[] = [];
  for (let i = 0; i < 15; i++) {
    torch.manualSeed(9);
    torch.tidy(() => {
      opt.zeroGrad();
      const { loss } = algo.loss({ views: [imgs] });
      loss.backward();
      opt.step();
      losses.push(loss.item());
    });
  }
  assert.ok(losses[14] < 0.8 * losses[0], `loss ${losses[0].toFixed(3)} → ${losses[14].toFixed(3)}`);
  imgs.dispose();
  algo.dispose();
});
