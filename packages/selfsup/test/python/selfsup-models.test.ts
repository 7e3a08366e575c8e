/**
 * python/selfsup_models.py rebuilds selfsup's ResNets in plain torch: checkpoints written as
 * `selfsup train` writes them (`meta.config` + `state_dict` with `backbone.*` keys, every weight
 * and BN statistic random) load with `load_state_dict(strict=True)`, and the stage outputs and
 * pooled features match selfsup's on the same input to 1e-5 — the CPU-sized variants of the
 * bundled configs (¼ width, CIFAR stem), ResNetV1d with Bottlenecks and two out indices, and the
 * ImageNet stem.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import '../../src/builtins.js';
import { BACKBONES } from '../../src/models/registries.js';
import { py } from '../helpers.js';

torch.setNumThreads(1);
const PYDIR = fileURLToPath(new URL('../../../../../python/', import.meta.url));

const VARIANTS = [
  { type: 'ResNet', depth: 18, widthMultiplier: 0.25, cifarStem: true, zeroInitResidual: true },
  { type: 'ResNetV1d', depth: 50, widthMultiplier: 0.125, outIndices: [1, 3] },
  { type: 'resnet18', widthMultiplier: 0.125 },
];

test('selfsup_models.py loads selfsup ResNet checkpoints strictly and computes the same features', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-pymodels-'));
  torch.manualSeed(0);
  const x = torch.rand([2, 3, 32, 32]).mul(2).sub(1);
  const cases = VARIANTS.map((cfg, v) =>
    torch.tidy(() => {
      const net = BACKBONES.build(cfg, 'backbone');
      // Random weights and BN statistics everywhere (zero-init γ, unit variances would hide mistakes).
      const sd: Record<string, torch.Tensor> = {};
      for (const [k, t] of Object.entries(net.stateDict())) {
        if (k.endsWith('num_batches_tracked')) sd[`backbone.${k}`] = t;
        else if (k.endsWith('running_var')) sd[`backbone.${k}`] = torch.rand(t.shape).add(0.5);
        else sd[`backbone.${k}`] = torch.randn(t.shape).mul(k.endsWith('weight') && t.dim() === 1 ? 0.5 : 0.2);
      }
      net.loadStateDict(Object.fromEntries(Object.entries(sd).map(([k, t]) => [k.slice('backbone.'.length), t])));
      net.eval();
      const file = join(dir, `v${v}.pth`);
      torch.save({ meta: { config: JSON.stringify({ model: { type: 'SimCLR', backbone: cfg } }) }, state_dict: sd }, file);
      const outs = net.forward(x);
      const pooled = net.forwardFeatures(x).mean([2, 3]);
      net.dispose();
      return { file, outs: outs.map((o) => o.toList()), pooled: pooled.toList() };
    }),
  );
  const got = py<{ stages: number[]; diffs: number[] }[]>(
    `import sys
sys.path.insert(0, D['pydir'])
from selfsup_models import load_selfsup_backbone
x = T(D['x'], torch.float32)
out = []
for c in D['cases']:
    net = load_selfsup_backbone(c['file']).eval()
    with torch.no_grad():
        outs = net(x); pooled = net.features(x)
    diffs = [float((o - T(e, torch.float32)).abs().max()) for o, e in zip(outs, c['outs'])]
    diffs.append(float((pooled - T(c['pooled'], torch.float32)).abs().max()))
    out.append({'stages': len(outs), 'diffs': diffs})
OUT = out`,
    { pydir: PYDIR, x: x.toList(), cases },
  );
  x.dispose();
  got.forEach((g, v) => {
    assert.equal(g.stages, cases[v].outs.length, `${VARIANTS[v].type}: stage outputs`);
    for (const d of g.diffs) assert.ok(d <= 1e-5, `${JSON.stringify(VARIANTS[v])}: max |Δ| ${d}`);
  });
});
