/**
 * HOGGenerator against a PyTorch re-statement of MMSelfSup 1.x's `HOGGenerator`
 * (mmselfsup/models/target_generators/hog_generator.py): its buffers, its forward at 224 px with
 * its literal `unfold_size = cells // 14` (float32), and other sizes, options and float64 with the
 * patch side as the unfold rule; then hand-checkable edges (where the weight goes and how a
 * target is laid out), no gradient, and bad input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { HOGGenerator, type HOGGeneratorOptions } from '../../../src/models/target-generators/hog-generator.js';
import { TARGET_GENERATORS } from '../../../src/models/registries.js';
import { ConfigError } from '../../../src/core/schema.js';
import { maxAbsDiff, py } from '../../helpers.js';
import '../../../src/builtins.js';

/** MMSelfSup's HOGGenerator, restated; `unfold` None is its `cells // 14`, else the given cells per patch. */
const PY_HOG = `
import torch.nn.functional as F

class HOG:
    def __init__(self, nbins=9, pool=8, gaussian_window=16):
        self.nbins, self.pool, self.gw = nbins, pool, gaussian_window
        wx = torch.FloatTensor([[1, 0, -1], [2, 0, -2], [1, 0, -1]]).view(1, 1, 3, 3).repeat(3, 1, 1, 1).contiguous()
        self.weight_x, self.weight_y = wx, wx.transpose(2, 3).contiguous()
        self.kernel = None
        if gaussian_window:
            n = torch.arange(0, gaussian_window).float()
            n -= n.mean()
            n /= gaussian_window // 2
            w = torch.exp(-0.5 * n ** 2)
            k = w[:, None] * w[None, :]
            self.kernel = k / k.sum()

    def forward(self, x, unfold=None):
        x = F.pad(x, pad=(1, 1, 1, 1), mode='reflect')
        gx = F.conv2d(x, self.weight_x.to(x.dtype), bias=None, stride=1, padding=0, groups=3)
        gy = F.conv2d(x, self.weight_y.to(x.dtype), bias=None, stride=1, padding=0, groups=3)
        norm = torch.stack([gx, gy], dim=-1).norm(dim=-1)
        phase = torch.atan2(gx, gy) / math.pi * self.nbins
        b, c, h, w = norm.shape
        out = torch.zeros((b, c, self.nbins, h, w), dtype=x.dtype)
        phase = phase.view(b, c, 1, h, w)
        norm = norm.view(b, c, 1, h, w)
        if self.gw:
            k = self.kernel if h == self.gw else self.kernel.repeat([h // self.gw, h // self.gw])
            norm = norm * k
        out.scatter_add_(2, phase.floor().long() % self.nbins, norm)
        out = out.unfold(3, self.pool, self.pool).unfold(4, self.pool, self.pool).sum(dim=[-1, -2])
        out = F.normalize(out, p=2, dim=2)
        f = out.flatten(1, 2)
        u = f.shape[-1] // 14 if unfold is None else unfold
        return f.permute(0, 2, 3, 1).unfold(1, u, u).unfold(2, u, u).flatten(1, 2).flatten(2)
`;

interface Case {
  name: string;
  size: number;
  dtype: 'float32' | 'float64';
  opts: HOGGeneratorOptions;
  /** Python's unfold argument: null for MMSelfSup's `// 14`. */
  unfold: number | null;
}

const CASES: Case[] = [
  { name: 'defaults at 224 px (MMSelfSup // 14)', size: 224, dtype: 'float32', opts: {}, unfold: null },
  { name: '32 px, patch 8, pool 4, window 16, float64', size: 32, dtype: 'float64', opts: { patchSize: 8, pool: 4 }, unfold: 2 },
  {
    name: '48 px, patch 16, pool 8, window 8, 6 bins, float64',
    size: 48,
    dtype: 'float64',
    opts: { gaussianWindow: 8, nbins: 6 },
    unfold: 2,
  },
  {
    name: '32 px, patch 4, pool 4, no window, float64',
    size: 32,
    dtype: 'float64',
    opts: { patchSize: 4, pool: 4, gaussianWindow: 0 },
    unfold: 1,
  },
];

test('HOGGenerator equals MMSelfSup’s HOGGenerator restated in PyTorch (buffers, defaults at 224 px, other sizes, float64)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-hog-'));
  try {
    const g = new torch.Generator().manualSeed(7);
    const inputs: Record<string, torch.Tensor> = {};
    CASES.forEach((c, i) => {
      // Normalised-image statistics: MaskFeat passes the preprocessed image.
      inputs[`x${i}`] = torch.randn([2, 3, c.size, c.size], { generator: g }).to({ dtype: c.dtype });
    });
    const paths = { inputs: join(dir, 'in.pth'), out: join(dir, 'out.pth') };
    torch.save(inputs, paths.inputs);
    py(
      `${PY_HOG}
X = torch.load(D['inputs'])
res = {}
for i, c in enumerate(D['cases']):
    o = c['opts']
    hog = HOG(o.get('nbins', 9), o.get('pool', 8), o.get('gaussianWindow', 16))
    res[f'y{i}'] = hog.forward(X[f'x{i}'], c['unfold'])
d = HOG()
res.update({'weight_x': d.weight_x, 'weight_y': d.weight_y, 'kernel': d.kernel})
torch.save(res, D['out'])
OUT = 0`,
      { ...paths, cases: CASES },
    );
    const ref = torch.load(paths.out) as Record<string, torch.Tensor>;
    const d = new HOGGenerator();
    assert.ok(d.weightX.equal(ref.weight_x), 'weight_x is the Sobel kernel [[1, 0, -1], [2, 0, -2], [1, 0, -1]] per channel');
    assert.ok(d.weightY.equal(ref.weight_y), 'weight_y is its transpose');
    const kd = maxAbsDiff(d.gaussianKernel as torch.Tensor, ref.kernel);
    assert.ok(kd <= 1e-9, `gaussian_kernel: max |diff| ${kd}`);
    assert.deepEqual(Object.keys(d.stateDict()).sort(), ['gaussian_kernel', 'weight_x', 'weight_y']);
    CASES.forEach((c, i) => {
      const hog = new HOGGenerator(c.opts).to(c.dtype);
      const y = hog.forward(inputs[`x${i}`]);
      const r = ref[`y${i}`];
      assert.deepEqual(y.shape, r.shape, c.name);
      assert.equal(y.dtype, c.dtype);
      const diff = maxAbsDiff(y, r);
      const tol = c.dtype === 'float32' ? 1e-5 : 1e-12;
      assert.ok(diff <= tol, `${c.name}: max |diff| ${diff.toExponential(2)} > ${tol}`);
      t.diagnostic(`${c.name}: shape [${y.shape}], max |diff| ${diff.toExponential(2)}`);
      y.dispose();
      hog.dispose();
    });
    assert.deepEqual(ref.y0.shape, [2, 196, 108], '196 patches of 3·9·2² at 224 px');
    d.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A 32-px image, 0 left of column `edge` and `v` from it on, in channel `ch` only (others 0). */
function verticalEdge(edge: number, v: number, ch = -1): torch.Tensor {
  return torch.tidy(() => {
    const x = torch.zeros([1, 3, 32, 32]);
    const chans = ch < 0 ? [0, 1, 2] : [ch];
    for (const c of chans) x.select(1, c).slice(2, edge).fill_(v);
    return x;
  });
}

test('a vertical edge puts all its weight in the horizontal-gradient bin, in the cells along it, laid out (channel, bin, cell row, cell col)', () => {
  torch.tidy(() => {
    // pool 8, patch 16: a 32-px image has 4×4 cells and 2×2 patches of 3·9·2·2 values.
    const hog = new HOGGenerator();
    const hist = hog.cellHistograms(verticalEdge(16, 2.5));
    assert.deepEqual(hist.shape, [1, 3, 9, 4, 4]);
    // The Sobel response is non-zero only in columns 15 and 16, so cell columns 1 and 2. gx = −4·2.5,
    // gy = 0, so atan2(gx, gy) = −π/2: phase −4.5 → ⌊·⌋ = −5 → mod 9 = bin 4. A normalised
    // histogram with one non-zero bin is that bin = 1.
    const h = hist.toList() as number[][][][][];
    for (let c = 0; c < 3; c++)
      for (let b = 0; b < 9; b++)
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 4; j++) {
            const want = b === 4 && (j === 1 || j === 2) ? 1 : 0;
            assert.ok(Math.abs(h[0][c][b][i][j] - want) < 1e-6, `channel ${c} bin ${b} cell (${i}, ${j}): ${h[0][c][b][i][j]}`);
          }
    // Flipping the edge (gx = +10: phase +4.5) and rotating it (a horizontal edge: gx = 0, bin 0) by hand.
    const flipped = hog.cellHistograms(verticalEdge(16, -1)).select(2, 4).toList() as number[][][][];
    assert.deepEqual(flipped[0][0], [
      [0, 1, 1, 0],
      [0, 1, 1, 0],
      [0, 1, 1, 0],
      [0, 1, 1, 0],
    ]);
    const horizontal = hog.cellHistograms(verticalEdge(16, 1).transpose(2, 3).contiguous());
    assert.deepEqual((horizontal.select(2, 0).toList() as number[][][][])[0][2], [
      [0, 0, 0, 0],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [0, 0, 0, 0],
    ]);
    assert.equal(horizontal.select(2, 4).abs().sum().item(), 0);
    // Patch targets: an edge in channel 1 (green) only at column 16. Patch (r, 0) holds cell columns
    // 0–1, patch (r, 1) cell columns 2–3; index = ((channel·9 + bin)·2 + cell row)·2 + cell col.
    const y = hog.forward(verticalEdge(16, 1, 1));
    assert.deepEqual(y.shape, [1, 4, 108]);
    const rows = y.toList() as number[][][];
    const at = (c: number, b: number, i: number, j: number) => ((c * 9 + b) * 2 + i) * 2 + j;
    for (let p = 0; p < 4; p++) {
      const want = new Array<number>(108).fill(0);
      const col = p % 2 === 0 ? 1 : 0; // the cell column next to the edge inside this patch
      for (const i of [0, 1]) want[at(1, 4, i, col)] = 1;
      assert.ok(
        rows[0][p].every((v, k) => Math.abs(v - want[k]) < 1e-6),
        `patch ${p}: non-zero at ${rows[0][p].flatMap((v, k) => (v ? [k] : []))}`,
      );
    }
  });
});

test('a positive affine map per channel leaves the targets unchanged (HOG of the normalised image is HOG of the raw one)', () => {
  // Gradients scale by the channel's factor and ignore its offset (reflect padding too), and each
  // channel's cell histogram is normalised on its own. Factors that are powers of two keep the
  // arithmetic exact, so the targets are bit for bit the same. (With normalisation's 1/std, rounding
  // can turn an exact gx = 0 into ±1e-17: such a pixel sits on the boundary between the last bin and
  // bin 0 and may land in either, in MMSelfSup's formula as here.)
  torch.tidy(() => {
    const hog = new HOGGenerator().to('float64');
    const raw = torch.randint(0, 256, [2, 3, 32, 32], { generator: new torch.Generator().manualSeed(4) }).double();
    const scale = torch.tensor([1 / 64, 4, 0.5], { dtype: 'float64' }).view(1, 3, 1, 1);
    const shift = torch.tensor([-123, 7, 1e3], { dtype: 'float64' }).view(1, 3, 1, 1);
    const a = hog.forward(raw);
    assert.ok(a.equal(hog.forward(raw.mul(scale).add(shift))));
    // A negative factor reverses the gradients, which the unsigned bins fold back: the same targets
    // but where gx = 0 (there atan2(±0, gy) is ±0 or ±π: bin 0 either way).
    assert.ok(a.equal(hog.forward(raw.neg())));
    // Mixing channels does change them (the invariance is per channel, not a tautology).
    assert.ok(maxAbsDiff(a, hog.forward(raw.add(raw.roll(1, 1).mul(0.5)))) > 0.1);
    hog.dispose();
  });
});

test('the targets carry no gradient (MMSelfSup computes them under no_grad)', () => {
  torch.tidy(() => {
    const x = torch.randn([1, 3, 16, 16]).requiresGrad_(true);
    const y = new HOGGenerator().forward(x);
    assert.equal(y.requiresGrad, false);
  });
});

test('bad options and inputs are errors naming them', () => {
  assert.throws(
    () => new HOGGenerator({ patchSize: 12, pool: 8 }),
    /HOGGenerator: patchSize 12 must be a multiple of the cell size pool 8/,
  );
  assert.throws(
    () => TARGET_GENERATORS.build({ type: 'HOGGenerator', nbin: 9 }, 'model.targetGenerator'),
    (e: unknown) => e instanceof ConfigError && /model\.targetGenerator.*nbin.*nbins/s.test(e.message),
  );
  assert.throws(
    () => TARGET_GENERATORS.build({ type: 'HOGGenerator', gaussianWindow: -1 }, 'tg'),
    /tg\.gaussianWindow: expected a non-negative integer/,
  );
  const hog = new HOGGenerator();
  torch.tidy(() => {
    assert.throws(
      () => hog.forward(torch.zeros([1, 1, 32, 32])),
      /HOGGenerator: expected \(N, 3, H, W\) images, got shape \[1,1,32,32\]/,
    );
    assert.throws(() => hog.forward(torch.zeros([1, 3, 40, 40])), /image size 40x40 is not a multiple of patchSize 16/);
    assert.throws(
      () => new HOGGenerator({ gaussianWindow: 32 }).forward(torch.zeros([1, 3, 48, 48])),
      /not a multiple of gaussianWindow 32/,
    );
    assert.throws(
      () => hog.forward(torch.zeros([1, 3, 32, 32], { dtype: 'float64' })),
      /images are float64 but the generator is float32/,
    );
  });
  hog.dispose();
});
