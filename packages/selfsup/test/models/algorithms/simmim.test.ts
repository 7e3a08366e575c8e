import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { SimMIM } from '../../../src/models/algorithms/simmim.js';
import { VisionTransformer } from '../../../src/models/backbones/vit.js';
import { ALGORITHMS, BACKBONES } from '../../../src/models/registries.js';
import { assertClose } from '../../helpers.js';
import { fixedBatch, trainSteps } from './fixture.js';
import '../../../src/builtins.js';

/** A two-stage Swin (16 px, patch 2: 8×8 then 4×4 maps, window 4), total stride 4. */
const swin = {
  type: 'SimMIMSwinTransformer',
  embedDim: 8,
  depths: [1, 1],
  numHeads: [1, 2],
  windowSize: 4,
  imgSize: 16,
  patchSize: 2,
  dropPathRate: 0,
} as const;
const cfg = {
  type: 'SimMIM',
  backbone: swin,
  neck: { type: 'SimMIMLinearDecoder', inChannels: 16, encoderStride: 4 },
  head: { type: 'SimMIMHead', patchSize: 2, loss: { type: 'PixelReconstructionLoss', criterion: 'L1', channel: 3 } },
} as const;

/** A batch of 4 16-px images with an (N, 8, 8) mask of 2×2-patch blocks (half of them masked). */
function maskedBatch() {
  const batch = fixedBatch(1, 4);
  const blocks = torch.tensor([1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1], { shape: [1, 4, 4] });
  const mask = blocks.repeatInterleave(2, 1).repeatInterleave(2, 2).expand(4, -1, -1).to('bool').contiguous();
  blocks.dispose();
  return { ...batch, masks: [mask] };
}

test('SimMIM trains: 10 SGD steps on a fixed masked batch give finite, decreasing losses; state-dict keys are MMSelfSup’s', () => {
  torch.manualSeed(0);
  const algo = ALGORITHMS.buildAs(cfg, 'model', SimMIM, 'test');
  const keys = Object.keys(algo.stateDict());
  assert.ok(keys.includes('backbone.mask_token'));
  assert.deepEqual(
    keys.filter((k) => !k.startsWith('backbone.')),
    ['neck.decoder.0.weight', 'neck.decoder.0.bias'],
  );
  const losses = trainSteps(algo, maskedBatch(), 10);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[9] < losses[0], `last ${losses[9]} ≥ first ${losses[0]}`);
  algo.dispose();
});

test('SimMIM: only masked pixels count, the target is the preprocessed view, and extractFeat ignores masks', () => {
  torch.manualSeed(1);
  const algo = ALGORITHMS.buildAs(cfg, 'model', SimMIM, 'test');
  const batch = maskedBatch();
  algo.train();
  torch.tidy(() => {
    const img = algo.preprocess(batch.views[0]);
    const mask = batch.masks[0];
    const rec = algo.reconstruct(img, mask);
    assert.deepEqual(rec.shape, [4, 3, 16, 16]);
    // By hand: mean |rec − img| over the masked pixels and the 3 channels.
    const pix = mask.repeatInterleave(2, 1).repeatInterleave(2, 2).unsqueeze(1).expand(-1, 3, -1, -1);
    const expected = rec.sub(img).abs().maskedSelect(pix).mean().item();
    assertClose(algo.loss(batch).loss.item(), expected, 1e-5, 'masked L1');
    // No mask: every patch embedding is the image's own (nothing replaced by the mask token).
    const [plain] = algo.extractFeat(img);
    const [unmasked] = algo.backbone.forward(img);
    assert.deepEqual(plain.shape, [4, 16, 4, 4]);
    assert.ok(plain.equal(unmasked));
  });
  algo.dispose();
});

test('SimMIM: clear errors for a batch without masks, a backbone without a mask token, a wrong neck or stride', () => {
  torch.manualSeed(2);
  const algo = ALGORITHMS.buildAs(cfg, 'model', SimMIM, 'test');
  const batch = fixedBatch(1, 4);
  assert.throws(
    () => algo.loss(batch),
    /SimMIM: the batch has no patch mask; end the training pipeline with a SimMIMMaskGenerator/,
  );
  assert.throws(() => algo.loss({ ...batch, masks: [] }), /SimMIMMaskGenerator/);
  assert.throws(() => algo.loss({ views: [] }), /SimMIM: expected at least 1 views/);
  algo.dispose();
  assert.throws(
    () => ALGORITHMS.build({ ...cfg, backbone: { ...swin, type: 'SwinTransformer' } }, 'model'),
    /SimMIM: the backbone \(SwinTransformer\) has no mask token; use SimMIMSwinTransformer/,
  );
  assert.throws(
    () => ALGORITHMS.build({ ...cfg, neck: { type: 'LinearNeck', inChannels: 16, outChannels: 4 } }, 'model'),
    /model\.neck.*SimMIMLinearDecoder/,
  );
  const wrongStride = ALGORITHMS.buildAs(
    { ...cfg, neck: { type: 'SimMIMLinearDecoder', inChannels: 16, encoderStride: 8 } },
    'model',
    SimMIM,
    'test',
  );
  assert.throws(
    () => wrongStride.loss(maskedBatch()),
    /SimMIM: the reconstruction \[4,3,32,32\] is not the image's shape \[4,3,16,16\]: neck\.encoderStride \(8\)/,
  );
  wrongStride.dispose();
});

test('SimMIMViT: a mask-token ViT-B/16 at 224 px returning the patch-token map, layer scale 0.1, drop path 0.1', () => {
  // The widths overridden to keep it small; everything else is the part's defaults.
  const vit = BACKBONES.build({ type: 'SimMIMViT', embedDim: 16, depth: 3, numHeads: 2 }, 'model.backbone');
  assert.ok(vit instanceof VisionTransformer);
  assert.deepEqual(vit.patchEmbed.patchSize, [16, 16]);
  assert.deepEqual(vit.gridSize, [14, 14]);
  assert.equal(vit.outType, 'featmap');
  assert.ok(vit.maskToken && vit.clsToken, 'mask token and class token');
  assert.ok(vit.blocks.at(0).ls1?.gamma.eq(0.1).all().item(), 'layer scale 0.1');
  assert.deepEqual(
    [0, 1, 2].map((i) => vit.blocks.at(i).dropPath1.p),
    [0, 0.05, 0.1],
  );
  torch.tidy(() => {
    const mask = torch.zeros([1, 14, 14]).to('bool');
    assert.deepEqual(vit.eval().forward(torch.randn([1, 3, 224, 224]), mask)[0].shape, [1, 16, 14, 14]);
  });
  vit.dispose();
  const base = BACKBONES.build({ type: 'VisionTransformer', embedDim: 16, depth: 1, numHeads: 2 }) as VisionTransformer;
  assert.equal(base.maskToken, null, 'the plain ViT has none');
  base.dispose();
});
