/**
 * SparseConvNeXt (SparK's ConvNeXt, mmpretrain's `SparseConvNeXt`): ConvNeXt's keys without the
 * output norms (a SparK backbone loads into a ConvNeXt for fine-tuning), dense with every position
 * active, zero on masked positions at every stage, and a SparseLayerNorm2d equal to LayerNorm over
 * the gathered visible positions scattered into zeros (mmpretrain's formulation, hand-built here).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ConvNeXt, SparseActiveMask, SparseConvNeXt, SparseLayerNorm2d } from '../../../src/index.js';
import { assertClose } from '../../helpers.js';

const ARCH = { depths: [1, 1, 1, 1], channels: [8, 16, 24, 32] };
const OPTS = { arch: ARCH, outIndices: [0, 1, 2, 3], gapBeforeOutput: false, useGrn: true, layerScaleInitValue: 0 };

test('SparseConvNeXt has ConvNeXt’s keys minus the output norms, and loads into a ConvNeXt that computes its maps', () => {
  torch.manualSeed(0);
  const s = new SparseConvNeXt(OPTS).to('float64');
  const { gapBeforeOutput: _, ...dense } = OPTS;
  const c = new ConvNeXt({ ...dense, gapBeforeFinalNorm: false }).to('float64');
  const sk = Object.keys(s.stateDict());
  const ck = Object.keys(c.stateDict());
  assert.deepEqual(
    ck.filter((k) => !/^norm\d\./.test(k)),
    sk,
  );
  c.loadStateDict(s.stateDict(), { strict: false });
  torch.tidy(() => {
    const x = torch.randn([2, 3, 64, 64], { dtype: 'float64' });
    const all = torch.ones([2, 1, 2, 2], { dtype: 'bool' });
    const a = s.forwardSparse(x, all);
    const feats = c.forwardFeatures(x);
    assertClose(a[3], feats, 1e-12, 'last stage, all visible = dense');
  });
  s.dispose();
  c.dispose();
});

test('SparseConvNeXt: masked positions are zero at every stage, visible ones carry features', () => {
  torch.manualSeed(1);
  const s = new SparseConvNeXt({ ...OPTS, layerScaleInitValue: 0.5 });
  torch.tidy(() => {
    const active = torch.tensor([true, false, false, true, false, true, true, true]).reshape(2, 1, 2, 2);
    const px = active.to({ dtype: 'float32' }).repeatInterleave(32, 2).repeatInterleave(32, 3);
    const outs = s.forwardSparse(torch.randn([2, 3, 64, 64]).mul(px), active);
    for (const o of outs) {
      const r = o.shape[2] / 2;
      const inactive = active.logicalNot().to({ dtype: 'float32' }).repeatInterleave(r, 2).repeatInterleave(r, 3);
      assert.equal(o.abs().mul(inactive).max().item(), 0, `stage of [${o.shape}]`);
      assert.ok(o.abs().sum().item() > 0, 'visible positions carry features');
    }
  });
  s.dispose();
});

test('SparseLayerNorm2d = LayerNorm of the visible positions’ channel vectors, zero elsewhere (both layouts)', () => {
  torch.manualSeed(2);
  const mask = new SparseActiveMask();
  const ln = new SparseLayerNorm2d(mask, 5, 1e-6).to('float64');
  torch.noGrad(() => {
    ln.weight?.normal_();
    ln.bias?.normal_();
  });
  torch.tidy(() => {
    const x = torch.randn([2, 5, 4, 4], { dtype: 'float64' });
    const active = torch.tensor([true, false, true, true, false, false, true, false]).reshape(2, 1, 2, 2);
    const y = mask.with(active, () => ln.forward(x));
    const yl = mask.with(active, () => ln.forwardChannelsLast(x.permute(0, 2, 3, 1)));
    // Hand-built: each visible (n, h, w) channel vector normalised with biased variance.
    const w = ln.weight?.toList() as number[];
    const b = ln.bias?.toList() as number[];
    const xs = x.toList() as number[][][][];
    const act = active.toList() as boolean[][][][];
    const expected = xs.map((img, n) =>
      img.map((_, c) =>
        img[0].map((row, h) =>
          row.map((__, wi) => {
            if (!act[n][0][Math.floor(h / 2)][Math.floor(wi / 2)]) return 0;
            const v = img.map((ch) => ch[h][wi]);
            const mean = v.reduce((a, e) => a + e, 0) / v.length;
            const variance = v.reduce((a, e) => a + (e - mean) ** 2, 0) / v.length;
            return ((v[c] - mean) / Math.sqrt(variance + 1e-6)) * w[c] + b[c];
          }),
        ),
      ),
    );
    assertClose(y, torch.tensor(expected, { dtype: 'float64' }), 1e-12, 'channels first');
    assertClose(yl.permute(0, 3, 1, 2), torch.tensor(expected, { dtype: 'float64' }), 1e-12, 'channels last');
  });
  ln.dispose();
});
