/**
 * iTPNPretrainDecoder's CLIP branch: mmpretrain's keys (no MAE decoder, a final `norm`), the output is
 * the LayerNorm of the sum of the levels' `decoder_embed` outputs (recomputed here from the modules),
 * `fpn_modules.{i}.mlp.fc2` rescaled by 1/√(2(i+1)) at init, and option/shape errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ITPNPretrainDecoder } from '../../../src/models/necks/itpn-pretrain-decoder.js';
import '../../../src/builtins.js';

const clip = {
  numPatches: 16,
  patchSize: 8,
  embedDim: 32,
  fpnDim: 16,
  fpnDepth: 1,
  decoderEmbedDim: 32,
  reconstructionType: 'clip' as const,
};
const pyramid = (n: number, l: number) => [torch.randn([n, l, 4, 4, 8]), torch.randn([n, l, 2, 2, 16]), torch.randn([n, l, 32])];

test('iTPNPretrainDecoder clip: mmpretrain’s keys and the normalised sum of the levels', () => {
  torch.manualSeed(0);
  const neck = new ITPNPretrainDecoder(clip);
  const keys = Object.keys(neck.stateDict());
  assert.ok(
    keys.includes('norm.weight') && keys.includes('decoder_embed.2.1.weight') && keys.includes('align_dim_16tofpn.weight'),
  );
  assert.ok(!keys.some((k) => /^(mask_token|decoder_pos_embed|decoder_blocks|decoder_norm|decoder_pred)/.test(k)), keys.join());
  torch.noGrad(() =>
    torch.tidy(() => {
      const p = pyramid(2, 16);
      const out = neck.forward(p);
      assert.deepEqual(out.shape, [2, 16, 32]);
      // The three levels restated from the modules: top, top-down to the 2 × 2 and the 4 × 4 scale.
      const x16 = p[2].reshape(2, 16, 1, 1, 32);
      const l0 = neck.alignDim16ToFpn?.forward(x16) ?? x16;
      const l1 = neck.block16To8.forward(neck.split16To8.forward(x16).add(neck.alignDim16To8.forward(p[1])));
      const { split8To4, alignDim8To4, block8To4 } = neck;
      assert.ok(split8To4 && alignDim8To4 && block8To4, 'three levels');
      const l2 = block8To4.forward(split8To4.forward(l1).add(alignDim8To4.forward(p[0])));
      const sum = [l0, l1, l2]
        .map((lv, i) => neck.decoderEmbed.at(i).forward(neck.fpnModules.at(i).forward(lv)).reshape(2, 16, 32))
        .reduce((a, b) => a.add(b));
      const mean = sum.mean(-1, { keepdim: true });
      const ln = sum.sub(mean).div(sum.sub(mean).square().mean(-1, { keepdim: true }).add(1e-6).sqrt());
      assert.ok(out.sub(ln).abs().max().item() < 1e-5);
    }),
  );
  neck.dispose();
});

test('iTPNPretrainDecoder clip: fpn_modules.{i}.mlp.fc2 weights are PyTorch’s default divided by √(2(i+1))', () => {
  torch.manualSeed(3);
  const neck = new ITPNPretrainDecoder(clip);
  // PyTorch's default Linear init bounds |w| by 1/√fan_in (fan_in = 4·16); the rescale shrinks it.
  const bound = 1 / Math.sqrt(64);
  for (const i of [0, 1, 2]) {
    const max = torch.tidy(() => neck.fpnModules.at(i).mlp.fc2.weight.abs().max().item());
    const limit = bound / Math.sqrt(2 * (i + 1));
    assert.ok(max <= limit && max > 0.8 * limit, `fpn_modules.${i}: max |w| ${max}, bound ${limit}`);
  }
  neck.dispose();
});

test('iTPNPretrainDecoder clip: option and shape errors', () => {
  assert.throws(() => new ITPNPretrainDecoder({ ...clip, decoderEmbedDim: 64 }), /decoderEmbedDim 64 equal to embedDim 32/);
  assert.throws(() => new ITPNPretrainDecoder({ ...clip, predictFeatureDim: 8 }), /predictFeatureDim is for the pixel target/);
  const neck = new ITPNPretrainDecoder(clip);
  assert.throws(() => torch.tidy(() => neck.forward(pyramid(2, 4))), /covers all 16 patches, got 4/);
  neck.dispose();
  const pixel = new ITPNPretrainDecoder({ ...clip, reconstructionType: 'pixel' });
  assert.throws(() => torch.tidy(() => pixel.forward(pyramid(2, 4))), /ids_restore \[undefined\]/);
  pixel.dispose();
});
