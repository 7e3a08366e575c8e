/**
 * MAE's parts on their own: patchify/unpatchify against MAE's einsum, the normalised target, the
 * decoder's placement of mask tokens, that only removed patches are scored, configuration errors,
 * reconstruction, and that a few steps of AdamW fit a batch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, type MAE } from '../../../src/index.js';
import { MAEPretrainHead, patchify, unpatchify } from '../../../src/models/heads/mae-pretrain-head.js';
import { MAEPretrainDecoder } from '../../../src/models/necks/mae-pretrain-decoder.js';
import { ConfigError } from '../../../src/core/errors.js';
import { assertClose, py } from '../../helpers.js';
import '../../../src/builtins.js';

const tiny = (
  o: { neck?: Record<string, unknown>; head?: Record<string, unknown>; backbone?: Record<string, unknown> } = {},
) => ({
  type: 'MAE',
  backbone: { type: 'MAEViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2, ...o.backbone },
  neck: {
    type: 'MAEPretrainDecoder',
    numPatches: 16,
    patchSize: 4,
    embedDim: 16,
    decoderEmbedDim: 8,
    decoderDepth: 1,
    decoderNumHeads: 2,
    ...o.neck,
  },
  head: { type: 'MAEPretrainHead', normPix: true, patchSize: 4, ...o.head },
});

test('patchify is MAE’s einsum nchpwq→nhwpqc (checked in PyTorch) and unpatchify inverts it, rectangles included', () => {
  const x = torch
    .arange(0, 2 * 3 * 8 * 12)
    .reshape(2, 3, 8, 12)
    .double();
  const ref = py<number[][][]>(
    `
x = torch.arange(0, 2 * 3 * 8 * 12).reshape(2, 3, 8, 12).double()
p = 4
y = x.reshape(2, 3, 2, p, 3, p)
OUT = torch.einsum('nchpwq->nhwpqc', y).reshape(2, 6, p * p * 3)`,
  );
  torch.tidy(() => {
    const patches = patchify(x, 4);
    assertClose(patches, ref, 0, 'patchify');
    assert.ok(unpatchify(patches, 4, [2, 3]).equal(x), 'unpatchify ∘ patchify = identity');
  });
  assert.throws(() => patchify(torch.zeros([1, 3, 10, 8]), 4), /multiples of 4/);
});

test('MAEPretrainHead: with normPix each target patch has mean 0 and unbiased variance 1/(1 + 1e-6/var)', () => {
  torch.tidy(() => {
    const head = new MAEPretrainHead({ normPix: true, patchSize: 4 });
    const g = new torch.Generator().manualSeed(3);
    const x = torch.randn([2, 3, 8, 8], { generator: g, dtype: 'float64' }).mul(3).add(1);
    const t = head.constructTarget(x);
    assert.deepEqual(t.shape, [2, 4, 48]);
    assert.ok(t.mean(-1).abs().max().item() < 1e-12);
    const raw = patchify(x, 4);
    const v = raw.var(-1, { correction: 1 });
    assertClose(t.var(-1, { correction: 1 }), v.div(v.add(1e-6)), 1e-12, 'variance after normalising');
    assert.ok(new MAEPretrainHead({ patchSize: 4 }).constructTarget(x).equal(raw), 'no normPix: the raw patches');
  });
});

test('MAEPretrainDecoder puts the visible tokens where ids_restore says and mask tokens elsewhere', () => {
  torch.manualSeed(0);
  const dec = new MAEPretrainDecoder({
    numPatches: 4,
    patchSize: 2,
    embedDim: 6,
    decoderEmbedDim: 4,
    decoderDepth: 1,
    decoderNumHeads: 1,
  });
  torch.tidy(() => {
    // Probe the decoder input: capture what enters the first block by swapping it for the identity.
    let seen: torch.Tensor | null = null;
    const block = dec.decoderBlocks.at(0);
    const forward = block.forward.bind(block);
    block.forward = (h: torch.Tensor) => {
      seen = torch.keep(h.clone());
      return forward(h);
    };
    const latent = torch.randn([1, 3, 6]); // class token + 2 visible patches
    const idsRestore = torch.tensor([[2, 0, 3, 1]], { dtype: 'int64' }); // shuffled order was [1, 3, 0, 2]
    const pred = dec.forward(latent, idsRestore);
    assert.deepEqual(pred.shape, [1, 4, 12]);
    const h = (seen as unknown as torch.Tensor).sub(dec.decoderPosEmbed);
    const embedded = dec.decoderEmbed.forward(latent);
    // Patch 1 was kept first and patch 3 second; patches 0 and 2 were removed.
    assertClose(h.select(1, 0), embedded.select(1, 0), 1e-6, 'class token first');
    assertClose(h.select(1, 2), embedded.select(1, 1), 1e-6, 'patch 1 = first visible');
    assertClose(h.select(1, 4), embedded.select(1, 2), 1e-6, 'patch 3 = second visible');
    for (const k of [1, 3]) assertClose(h.select(1, k), dec.maskToken.reshape(1, 4), 1e-6, `patch ${k - 1} is the mask token`);
    block.forward = forward;
  });
  dec.dispose();
});

test('MAE scores only removed patches: changing the prediction of a visible patch leaves the loss unchanged', () => {
  torch.manualSeed(1);
  const algo = ALGORITHMS.build(tiny(), 'model') as MAE;
  torch.tidy(() => {
    const x = torch.randn([2, 3, 16, 16]);
    const pred = torch.randn([2, 16, 48]);
    const mask = torch.zeros([2, 16]);
    mask.narrow(1, 0, 12).fill_(1);
    const base = algo.head.forward(pred, x, mask).item();
    const changed = pred.clone();
    changed.narrow(1, 12, 4).add_(5);
    assertClose(algo.head.forward(changed, x, mask).item(), base, 1e-6, 'visible patches do not count');
    const removedChanged = pred.clone();
    removedChanged.narrow(1, 0, 1).add_(5);
    assert.ok(algo.head.forward(removedChanged, x, mask).item() > base + 0.1, 'removed patches do');
  });
  algo.dispose();
});

test('MAE refuses parts that do not fit together, naming the keys', () => {
  assert.throws(
    () => ALGORITHMS.build(tiny({ neck: { numPatches: 64 } }), 'model'),
    /neck\.numPatches 64 must equal the backbone's 4×4/,
  );
  assert.throws(
    () => ALGORITHMS.build(tiny({ neck: { embedDim: 32 } }), 'model'),
    /neck\.embedDim 32 must equal the backbone's width 16/,
  );
  assert.throws(() => ALGORITHMS.build(tiny({ head: { patchSize: 8 } }), 'model'), /head\.patchSize 8/);
  assert.throws(
    () => ALGORITHMS.build({ ...tiny(), head: { type: 'ContrastiveHead', temperature: 0.1 } }, 'model'),
    (e: unknown) => e instanceof ConfigError && /MAE needs a MAEPretrainHead/.test(String(e)),
  );
  assert.throws(
    () => ALGORITHMS.build({ ...tiny(), backbone: { type: 'ResNet', depth: 18 } }, 'model'),
    /model\.backbone must be a VisionTransformer/,
  );
});

test('MAE.reconstruct: images in 0–255 back, a quarter of the patches visible, the mask in pixels', () => {
  torch.manualSeed(2);
  const algo = ALGORITHMS.build(tiny(), 'model') as MAE;
  torch.tidy(() => {
    const imgs = torch.randint(0, 256, [2, 3, 16, 16]).to({ dtype: 'uint8' });
    const r = algo.reconstruct(imgs);
    assert.deepEqual(r.reconstruction.shape, [2, 3, 16, 16]);
    assert.deepEqual(r.mask.shape, [2, 1, 16, 16]);
    assertClose(r.original, imgs.float(), 1e-3, 'the original round-trips through normalisation');
    assertClose(r.mask.mean().item(), 0.75, 1e-9, '12 of 16 patches removed');
    // The mask is constant within each 4×4 patch.
    const m = r.mask.reshape(2, 4, 4, 4, 4);
    assert.ok(m.amax([2, 4]).equal(m.amin([2, 4])));
    assert.equal(r.reconstruction.requiresGrad, false);
  });
  algo.dispose();
});

test('MAE: twenty AdamW steps on one batch lower the loss by more than a third', () => {
  torch.manualSeed(3);
  const algo = ALGORITHMS.build(tiny({ head: { normPix: false } }), 'model') as MAE;
  const opt = new torch.optim.AdamW(
    [...algo.parameters()].filter((p) => p.requiresGrad),
    { lr: 3e-3 },
  );
  const g = new torch.Generator().manualSeed(4);
  // Smooth images (a colour per image) are easy to reconstruct from a quarter of the patches.
  const imgs = torch.keep(
    torch.randint(0, 256, [4, 3, 1, 1], { generator: g }).expand(4, 3, 16, 16).contiguous().to({ dtype: 'uint8' }),
  );
  const losses: number[] = [];
  for (let i = 0; i < 20; i++) {
    torch.tidy(() => {
      opt.zeroGrad();
      const { loss } = algo.loss({ views: [imgs] });
      loss.backward();
      opt.step();
      losses.push(loss.item());
    });
  }
  assert.ok(losses[19] < losses[0] * 0.66, `loss ${losses[0].toFixed(3)} → ${losses[19].toFixed(3)}`);
  algo.dispose();
});
