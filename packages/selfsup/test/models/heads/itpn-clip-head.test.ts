/**
 * iTPNClipHead: the loss is −cos between the linear map of each masked patch's feature and the
 * teacher's feature, averaged over masked patches only (computed by hand here, element by element);
 * both mask layouts agree; mmpretrain's keys and init; bad shapes are errors naming them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ITPNClipHead } from '../../../src/models/heads/itpn-clip-head.js';
import { HEADS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

const N = 2;
const L = 4;
const C = 3;
const D = 2;

test('iTPNClipHead: −cos on the masked patches only, as computed by hand', () => {
  torch.manualSeed(0);
  const head = HEADS.build({ type: 'iTPNClipHead', embedDims: C, numEmbed: D, loss: { type: 'CosineSimilarityLoss' } }, 'head');
  assert.ok(head instanceof ITPNClipHead);
  assert.deepEqual(Object.keys(head.stateDict()).sort(), ['cls_head.bias', 'cls_head.weight']);
  torch.tidy(() => {
    const feats = torch.randn([N, L, C]);
    const target = torch.randn([N, L, D]);
    const mask = torch.tensor([1, 0, 1, 1, 0, 0, 1, 0], { dtype: 'float32' }).reshape(N, L);
    const flat = (x: torch.Tensor) => Array.from(x.detach().contiguous().toTypedArray() as Float32Array);
    const W = flat(head.clsHead.weight);
    const b = head.clsHead.bias ? flat(head.clsHead.bias) : [0, 0];
    const f = flat(feats);
    const t = flat(target);
    const m = flat(mask);
    let sum = 0;
    let count = 0;
    for (let r = 0; r < N * L; r++) {
      if (!m[r]) continue;
      const y = [0, 1].map((k) => [0, 1, 2].reduce((s, c) => s + W[k * C + c] * f[r * C + c], b[k]));
      const tr = [t[r * D], t[r * D + 1]];
      const norm = (v: number[]) => Math.hypot(...v);
      sum += -(y[0] * tr[0] + y[1] * tr[1]) / (norm(y) * norm(tr));
      count++;
    }
    const loss = head.forward(feats, target, mask).item();
    assert.ok(Math.abs(loss - sum / count) < 1e-6, `${loss} vs ${sum / count}`);
    // The (N, h, w) layout of the pipeline's mask gives the same loss.
    assert.ok(Math.abs(head.forward(feats, target, mask.reshape(N, 2, 2).to({ dtype: 'bool' })).item() - loss) < 1e-7);
    // Unmasked patches do not count: changing their targets changes nothing.
    const other = target.add(mask.rsub(1).unsqueeze(-1).mul(5));
    assert.ok(Math.abs(head.forward(feats, other, mask).item() - loss) < 1e-7);
  });
  head.dispose();
});

test('iTPNClipHead: mmpretrain’s init (zero bias, truncated normal 0.02) and shape errors', () => {
  torch.manualSeed(0);
  const head = new ITPNClipHead({ embedDims: 64, numEmbed: 64, loss: { type: 'CosineSimilarityLoss' } });
  torch.tidy(() => {
    assert.equal(head.clsHead.bias?.abs().max().item(), 0);
    const std = head.clsHead.weight.std().item();
    assert.ok(Math.abs(std - 0.02) < 0.002, `std ${std}`);
    const f = torch.randn([2, 4, 64]);
    const t = torch.randn([2, 4, 64]);
    assert.throws(() => head.forward(torch.randn([2, 4, 32]), t, torch.ones([2, 4])), /features \[2,4,32\] must be \(N, L, 64\)/);
    assert.throws(() => head.forward(f, torch.randn([2, 4, 8]), torch.ones([2, 4])), /numEmbed/);
    assert.throws(() => head.forward(f, t, torch.ones([2, 3])), /mask \[2,3\]/);
    assert.throws(() => head.forward(f, t, torch.zeros([2, 4])), /selects no patch/);
  });
  head.dispose();
});
