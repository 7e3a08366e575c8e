/**
 * BEiT's tokenizers loaded from a user `.pth` (`tokenizerPath`): the DALL-E encoder's logits and
 * VQ-KD's codebook ids against PyTorch re-statements of OpenAI's encoder and VQ-KD's encoder +
 * `NormEMAVectorQuantizer` (beit-reference.ts) on the same seeded random tiny weights, written by
 * Python with the released checkpoints' key names (VQ-KD's with decoder/EMA keys it must ignore).
 * Also: the errors for a missing or incomplete file, MMSelfSup key conversion, and the BEiT
 * algorithm's input errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as torch from '@selfsup/torch';
import {
  ALGORITHMS,
  BEiT,
  convertMMBEiTKeys,
  convertMMVQKDKeys,
  DallEEncoder,
  TARGET_GENERATORS,
  VQKD,
} from '../../../src/index.js';
import { assertClose, py } from '../../helpers.js';
import { PY_BEIT } from '../algorithms/beit-reference.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-beit-tok-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DALLE = { nHid: 8, nBlkPerGroup: 2, vocabSize: 32 };
const VQ = { encoderConfig: { embedDim: 16, depth: 2, numHeads: 2, patchSize: 8, imgSize: 32 }, numEmbed: 16, embedDims: 4 };
const paths = { dalle: join(dir, 'dalle.pth'), vqkd: join(dir, 'vqkd.pth'), x: join(dir, 'x.pth') };
const g = new torch.Generator().manualSeed(3);
const x = torch.keep(torch.randn([2, 3, 32, 32], { generator: g, dtype: 'float64' }));
torch.save({ x }, paths.x);

const REF = py<{ logits: number[]; ids: number[][] }>(
  `${PY_BEIT}
torch.set_default_dtype(torch.float64)
x = torch.load(D['x'])['x']
d = make_tokenizer('dalle', D['dalle'], D['p1'], 11).double()
v = make_tokenizer('vqkd', D['vqkd'], D['p2'], 12).double()
with torch.no_grad():
    OUT = {'logits': d(x), 'ids': v(x)}`,
  { dalle: DALLE, vqkd: VQ, p1: paths.dalle, p2: paths.vqkd, x: paths.x },
);

test('DALL-E: the loaded encoder’s logits (N, vocab, H/8, W/8) equal OpenAI’s encoder’s', () => {
  const enc = TARGET_GENERATORS.build({ type: 'DALL-E', tokenizerPath: paths.dalle, ...DALLE }, 'model.targetGenerator');
  assert.ok(enc instanceof DallEEncoder);
  assert.ok(
    [...enc.parameters()].every((p) => !p.requiresGrad),
    'frozen',
  );
  enc.to('float64');
  const out = torch.tidy(() => enc.forward(x));
  assert.deepEqual(out.shape, [2, 32, 4, 4]);
  assertClose(out, REF.logits, 1e-10);
});

test('VQKD: the loaded tokenizer’s ids equal VQ-KD’s nearest normalised codebook entries (decoder keys ignored)', () => {
  const vq = TARGET_GENERATORS.build({ type: 'VQKD', tokenizerPath: paths.vqkd, ...VQ }, 'model.targetGenerator');
  assert.ok(vq instanceof VQKD);
  vq.to('float64');
  const ids = torch.tidy(() => vq.forward(x));
  assert.equal(ids.dtype, 'int64');
  assert.deepEqual(ids.toList(), REF.ids);
  assert.ok(new Set(REF.ids.flat()).size > 1, 'the ids vary (the comparison is not trivially equal)');
});

test('a missing tokenizer file is an error naming the config key and the checkpoint expected', () => {
  assert.throws(
    () => TARGET_GENERATORS.build({ type: 'DALL-E', tokenizerPath: join(dir, 'nope.pth') }, 'model.targetGenerator'),
    /DALL-E: model\.targetGenerator\.tokenizerPath '.*nope\.pth' does not exist; it should be OpenAI's DALL-E encoder/,
  );
  assert.throws(
    () => TARGET_GENERATORS.build({ type: 'VQKD', tokenizerPath: join(dir, 'nope.pth') }, 'model.targetGenerator'),
    /VQKD: model\.targetGenerator\.tokenizerPath .* does not exist; it should be the VQ-KD tokenizer's state dict/,
  );
});

test('a tokenizer file of another architecture is an error listing the weights it lacks', () => {
  // The VQ-KD file holds none of the DALL-E encoder's keys.
  assert.throws(
    () => TARGET_GENERATORS.build({ type: 'DALL-E', tokenizerPath: paths.vqkd, ...DALLE }, 'model.targetGenerator'),
    /lacks \d+ of the tokenizer's weights \(blocks\.input\.w, /,
  );
});

test('MMSelfSup / mmcls BEiT keys map to timm’s (index buffers dropped)', () => {
  const sd = {
    'backbone.layers.0.ln1.weight': 1,
    'backbone.layers.0.attn.q_bias': 2,
    'backbone.layers.0.attn.relative_position_index': 3,
    'backbone.layers.1.gamma_2': 4,
    'backbone.layers.1.ffn.layers.0.0.bias': 5,
    'backbone.layers.1.ffn.layers.1.weight': 6,
    'backbone.ln1.bias': 7,
    'backbone.patch_embed.projection.weight': 8,
    'backbone.rel_pos_bias.relative_position_bias_table': 9,
    'head.cls_head.weight': 10,
  };
  assert.deepEqual(convertMMBEiTKeys(sd), {
    'blocks.0.norm1.weight': 1,
    'blocks.0.attn.q_bias': 2,
    'blocks.1.gamma_2': 4,
    'blocks.1.mlp.fc1.bias': 5,
    'blocks.1.mlp.fc2.weight': 6,
    'norm.bias': 7,
    'patch_embed.proj.weight': 8,
    'rel_pos_bias.relative_position_bias_table': 9,
  });
  assert.deepEqual(convertMMVQKDKeys({ 'encoder.layers.0.ln2.weight': 1, 'quantize.embedding.weight': 2 }), {
    'quantize.embedding.weight': 2,
    'encoder.blocks.0.norm2.weight': 1,
  });
});

test('BEiT: clear errors for a missing mask, a missing tokenizer view and mismatched parts', () => {
  const cfg = {
    type: 'BEiT',
    backbone: { type: 'BEiTViT', embedDim: 16, depth: 1, numHeads: 2, imgSize: 32, patchSize: 8 },
    head: { type: 'BEiTV1Head', embedDims: 16, numEmbed: 32 },
    targetGenerator: { type: 'DALL-E', tokenizerPath: paths.dalle, ...DALLE },
  };
  const algo = ALGORITHMS.buildAs(cfg, 'model', BEiT, 'test');
  const img = torch.zeros([2, 3, 32, 32], { dtype: 'uint8' });
  assert.throws(() => algo.loss({ views: [img, img] }), /BEiT: the batch has no patch mask; .*BEiTMaskGenerator/);
  assert.throws(() => algo.loss({ views: [img], masks: [torch.zeros([2, 4, 4])] }), /BEiT: expected two views/);
  assert.throws(
    () => algo.loss({ views: [img, img], masks: [torch.zeros([2, 3, 3])] }),
    /mask of shape \[2,3,3\] does not match/,
  );
  const loss = algo.loss({ views: [img, img], masks: [torch.ones([2, 4, 4])] }).loss.item();
  assert.ok(Number.isFinite(loss) && loss > 0);
  assert.throws(
    () => ALGORITHMS.build({ ...cfg, head: { type: 'BEiTV2Head', embedDims: 16, numEmbed: 32 } }, 'model'),
    /needs a 'BEiTV1Head'/,
  );
  assert.throws(
    () =>
      ALGORITHMS.build({ ...cfg, neck: { type: 'BEiTV2Neck', embedDim: 16, numHeads: 2, depth: 1, earlyLayers: 1 } }, 'model'),
    /needs a 'BEiTV2Head'/,
  );
  assert.throws(() => ALGORITHMS.build({ ...cfg, backbone: { type: 'VisionTransformer', arch: 'tiny' } }, 'model'), /'BEiTViT'/);
});
