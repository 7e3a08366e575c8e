/**
 * iTPNHiViT's CLIP-target forward (mmpretrain's `forward_clip`): with nothing masked it is HiViT's
 * own forward; a masked patch's pixels never reach the main stage (its token is the mask token),
 * though they do reach the stem levels of the pyramid, as in mmpretrain; the init rescales block
 * i's `attn.proj`/`mlp.fc2` weights by 1/√(2(i+1)); errors name the option or shape.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { HiViT } from '../../../src/models/backbones/hivit.js';
import { ITPNHiViT } from '../../../src/models/backbones/itpn-hivit.js';
import '../../../src/builtins.js';

const tiny = {
  imgSize: 32,
  patchSize: 8,
  embedDims: 32,
  depths: [1, 1, 2] as [number, number, number],
  numHeads: 2,
  rpe: true,
  layerScaleInit: 0.1,
};

test('iTPNHiViT clip: unmasked it is HiViT’s forward; masked patches reach the main stage only as the mask token', () => {
  torch.manualSeed(0);
  const net = new ITPNHiViT({ ...tiny, reconstructionType: 'clip' }).eval();
  assert.ok(Object.keys(net.stateDict()).includes('mask_token'));
  assert.equal(new ITPNHiViT(tiny).maskToken, null);
  torch.noGrad(() =>
    torch.tidy(() => {
      const x = torch.randn([2, 3, 32, 32]);
      const none = net.forwardMaskToken(x, torch.zeros([2, 4, 4]));
      assert.deepEqual(
        none.map((t) => t.shape),
        [
          [2, 16, 4, 4, 8],
          [2, 16, 2, 2, 16],
          [2, 16, 32],
        ],
      );
      assert.ok(none[2].sub(net.forwardFeatures(x)).abs().max().item() < 1e-5, 'no mask: HiViT forward');
      // Patch 5 (row 1, column 1: pixels 8..15 × 8..15) masked in image 0.
      const mask = torch.zeros([2, 16]);
      mask.narrow(0, 0, 1).narrow(1, 5, 1).fill_(1);
      const a = net.forwardMaskToken(x, mask);
      const y = x.clone();
      y.narrow(0, 0, 1).narrow(2, 8, 8).narrow(3, 8, 8).add_(3);
      const b = net.forwardMaskToken(y, mask);
      assert.ok(a[2].sub(b[2]).abs().max().item() < 1e-6, 'the main stage does not see the masked pixels');
      assert.ok(a[0].sub(b[0]).abs().max().item() > 0.1, 'the stem levels do (mmpretrain)');
      assert.ok(a[2].sub(none[2]).abs().max().item() > 1e-3, 'the mask token changes the output');
    }),
  );
  net.dispose();
});

test('iTPNHiViT clip: the init is HiViT’s with block i’s attn.proj and mlp.fc2 divided by √(2(i+1))', () => {
  const net = new ITPNHiViT({ ...tiny, reconstructionType: 'clip' });
  const w = (k: string) => net.stateDict()[k].clone();
  torch.manualSeed(5);
  HiViT.prototype.initWeights.call(net);
  const plain = ['blocks.0.mlp.fc2.weight', 'blocks.4.mlp.fc2.weight', 'blocks.7.attn.proj.weight'].map(w);
  torch.manualSeed(5);
  net.initWeights();
  const scaled = ['blocks.0.mlp.fc2.weight', 'blocks.4.mlp.fc2.weight', 'blocks.7.attn.proj.weight'].map(w);
  [2, 10, 16].forEach((twice, i) => {
    const d = torch.tidy(() => scaled[i].mul(Math.sqrt(twice)).sub(plain[i]).abs().max().item());
    assert.ok(d < 1e-6, `block ${i}: ${d}`);
  });
  net.dispose();
});

test('iTPNHiViT clip: errors name the mode and the mask shape', () => {
  const pixel = new ITPNHiViT(tiny);
  assert.throws(() => pixel.forwardMaskToken(torch.randn([1, 3, 32, 32]), torch.zeros([1, 16])), /reconstructionType 'clip'/);
  pixel.dispose();
  const clip = new ITPNHiViT({ ...tiny, reconstructionType: 'clip' });
  assert.throws(
    () => clip.forwardMaskToken(torch.randn([1, 3, 32, 32]), torch.zeros([1, 3, 3])),
    /mask \[1,3,3\] must be \(1, 4, 4\)/,
  );
  assert.throws(() => clip.forwardMaskToken(torch.randn([1, 3, 48, 48]), torch.zeros([1, 4, 4])), /32-px images/);
  clip.dispose();
});
