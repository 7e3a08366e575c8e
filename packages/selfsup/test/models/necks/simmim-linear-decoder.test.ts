import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { SimMIMLinearDecoder } from '../../../src/models/necks/simmim-linear-decoder.js';
import { NECKS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

test('SimMIMLinearDecoder: 1×1 conv → PixelShuffle matches PyTorch with copied weights (output and gradients); MMSelfSup keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-simmim-dec-'));
  try {
    torch.manualSeed(2);
    const neck = NECKS.buildAs(
      { type: 'SimMIMLinearDecoder', inChannels: 6, encoderStride: 4 },
      'neck',
      SimMIMLinearDecoder,
      'test',
    ).to('float64');
    const ckpt = join(dir, 'neck.pth');
    torch.save(neck.stateDict(), ckpt);
    // A 3×5 map (not square) so that a height/width mix-up in the shuffle shows.
    const x = pseudo([2, 6, 3, 5], 3);
    const w = pseudo([2, 3, 12, 20], 4);
    const ref = py<{ keys: string[]; shapes: number[][]; y: number[][][][]; gx: number[]; gw: number[]; gb: number[] }>(
      `import torch.nn as nn
m = nn.Module()
m.decoder = nn.Sequential(nn.Conv2d(6, 4 ** 2 * 3, kernel_size=1), nn.PixelShuffle(4))
m.load_state_dict(torch.load(D['ckpt'])); m.double()
x = T(D['x']).requires_grad_(True)
y = m.decoder(x); (y * T(D['w'])).sum().backward()
OUT = {'keys': list(m.state_dict().keys()), 'shapes': [list(v.shape) for v in m.state_dict().values()], 'y': y,
       'gx': x.grad.reshape(-1), 'gw': m.decoder[0].weight.grad.reshape(-1), 'gb': m.decoder[0].bias.grad}`,
      { ckpt, x, w },
    );
    const sd = neck.stateDict();
    assert.deepEqual(Object.keys(sd), ref.keys, 'decoder.0.weight, decoder.0.bias');
    assert.deepEqual(
      Object.values(sd).map((t) => t.shape),
      ref.shapes,
    );
    torch.tidy(() => {
      const xt = torch.tensor(x as number[][][][], { dtype: 'float64' }).requiresGrad_(true);
      const [y] = neck.forward([xt]);
      assert.deepEqual(y.shape, [2, 3, 12, 20], '(N, 3, h·4, w·4)');
      y.mul(torch.tensor(w as number[][][][], { dtype: 'float64' }))
        .sum()
        .backward();
      assertClose(y, ref.y, 1e-12, 'reconstruction');
      assertClose((xt.grad as torch.Tensor).reshape(-1), ref.gx, 1e-12, 'input gradient');
      const conv = neck.conv;
      assertClose((conv.weight.grad as torch.Tensor).reshape(-1), ref.gw, 1e-12, 'conv weight gradient');
      assertClose(conv.bias?.grad as torch.Tensor, ref.gb, 1e-12, 'conv bias gradient');
      assert.throws(() => neck.forward([xt, xt]), /SimMIMLinearDecoder: expected one backbone output, got 2/);
      assert.throws(
        () => neck.forward([xt.slice(1, 0, 5)]),
        /expected a \(N, 6, h, w\) feature map \(inChannels\), got \[2,5,3,5\]/,
      );
    });
    neck.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SimMIMLinearDecoder: targetChannels sets the image channels; options are checked', () => {
  const grey = new SimMIMLinearDecoder({ inChannels: 4, encoderStride: 2, targetChannels: 1 });
  torch.tidy(() => assert.deepEqual(grey.forward([torch.randn([1, 4, 3, 3])])[0].shape, [1, 1, 6, 6]));
  assert.deepEqual(grey.stateDict()['decoder.0.weight'].shape, [4, 4, 1, 1]);
  grey.dispose();
  assert.throws(
    () => NECKS.build({ type: 'SimMIMLinearDecoder', inChannels: 4, encoderStride: 0 }, 'neck'),
    /neck\.encoderStride/,
  );
  assert.throws(() => NECKS.build({ type: 'SimMIMLinearDecoder', inChannels: 4 }, 'neck'), /neck\.encoderStride/);
});
