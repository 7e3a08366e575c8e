import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { DenseCLNeck } from '../../../src/models/necks/densecl-neck.js';
import { NECKS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

/** MMSelfSup's DenseCLNeck re-stated in PyTorch: global fc-ReLU-fc, dense conv-ReLU-conv, pooled dense. */
const PY_NECK = `
import torch.nn as nn
class DN(nn.Module):
    def __init__(s, c, h, o, g):
        super().__init__()
        s.g = g
        s.mlp = nn.Sequential(nn.Linear(c, h), nn.ReLU(inplace=True), nn.Linear(h, o))
        s.mlp2 = nn.Sequential(nn.Conv2d(c, h, 1), nn.ReLU(inplace=True), nn.Conv2d(h, o, 1))
    def forward(s, x):
        a = s.mlp(nn.functional.adaptive_avg_pool2d(x, 1).view(x.size(0), -1))
        if s.g is not None: x = nn.functional.adaptive_avg_pool2d(x, s.g)
        x = s.mlp2(x)
        p = nn.functional.adaptive_avg_pool2d(x, 1).view(x.size(0), -1)
        return a, x.view(x.size(0), x.size(1), -1), p
`;

interface Ref {
  keys: string[];
  single: number[][];
  grid: number[][][];
  pooled: number[][];
  gx: number[];
  gconv: number[];
}

test('DenseCLNeck (numGrid null and 2) matches PyTorch: global, dense grid and pooled grid, with gradients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-densecl-neck-'));
  torch.manualSeed(4);
  const grids = [null, 2] as const;
  const necks = grids.map((numGrid) =>
    NECKS.buildAs(
      { type: 'DenseCLNeck', inChannels: 6, hidChannels: 8, outChannels: 5, numGrid },
      'neck',
      DenseCLNeck,
      'test',
    ).to('float64'),
  );
  const cases = necks.map((neck, i) => {
    const ckpt = join(dir, `neck${i}.pth`);
    torch.save(neck.stateDict(), ckpt);
    // The input map is 3×4; with numGrid 2 the dense grid is 2×2.
    const positions = grids[i] === null ? 12 : 4;
    return {
      ckpt,
      grid: grids[i],
      x: pseudo([3, 6, 3, 4], 10 + i),
      w: [pseudo([3, 5], 20 + i), pseudo([3, 5, positions], 30 + i), pseudo([3, 5], 40 + i)],
    };
  });
  const refs = py<Ref[]>(
    `${PY_NECK}
OUT = []
for c in D['cases']:
    m = DN(6, 8, 5, c['grid']); m.load_state_dict(torch.load(c['ckpt'])); m.double()
    x = T(c['x']).requires_grad_(True)
    outs = m(x)
    sum((o * T(w)).sum() for o, w in zip(outs, c['w'])).backward()
    OUT.append({'keys': list(m.state_dict().keys()), 'single': outs[0], 'grid': outs[1], 'pooled': outs[2],
                'gx': x.grad.reshape(-1), 'gconv': m.mlp2[0].weight.grad.reshape(-1)})`,
    { cases },
  );
  necks.forEach((neck, i) => {
    const c = cases[i];
    const ref = refs[i];
    assert.ok(neck instanceof DenseCLNeck);
    assert.equal(neck.numGrid, c.grid);
    torch.tidy(() => {
      assert.deepEqual(Object.keys(neck.stateDict()), ref.keys);
      const xt = torch.tensor(c.x as number[][][][], { dtype: 'float64' }).requiresGrad_(true);
      const outs = neck.forward([xt]);
      assert.equal(outs.length, 3);
      outs
        .map((o, j) => o.mul(torch.tensor(c.w[j] as number[], { dtype: 'float64' }).reshape(o.shape)).sum())
        .reduce((a, b) => a.add(b))
        .backward();
      assertClose(outs[0], ref.single, 1e-10, `grid ${c.grid}: global projection`);
      assertClose(outs[1], ref.grid, 1e-10, `grid ${c.grid}: dense grid`);
      assertClose(outs[2], ref.pooled, 1e-10, `grid ${c.grid}: pooled grid`);
      assertClose((xt.grad as torch.Tensor).reshape(-1), ref.gx, 1e-10, `grid ${c.grid}: input gradient`);
      const conv = neck.mlp2.at(0) as torch.nn.Conv2d;
      assertClose((conv.weight.grad as torch.Tensor).reshape(-1), ref.gconv, 1e-10, `grid ${c.grid}: mlp2.0 gradient`);
    });
    neck.dispose();
  });
});
