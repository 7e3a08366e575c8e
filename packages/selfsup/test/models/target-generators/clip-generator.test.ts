/**
 * CLIPGenerator against a PyTorch restatement of CLIP's image tower (explicit attention, QuickGELU,
 * LayerNorm ε 1e-5) on a seeded random tiny teacher read from a `.pth` in OpenAI's layout: features
 * and head-averaged last attention in float64; then the teacher's frozenness and the errors for a
 * missing, unreadable or mismatched teacher file.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ConfigError } from '../../../src/core/schema.js';
import { TARGET_GENERATORS } from '../../../src/models/registries.js';
import { CLIPGenerator } from '../../../src/models/target-generators/clip-generator.js';
import { py } from '../../helpers.js';
import { PY_CLIP, writeRandomClip } from './clip-teacher.js';
import '../../../src/builtins.js';

const ARCH = { imgSize: 16, patchSize: 4, embedDim: 12, depth: 2, numHeads: 3, outputDim: 6 };
const file = writeRandomClip(ARCH, 3);
const build = (extra: Record<string, unknown> = {}) =>
  TARGET_GENERATORS.build({ type: 'CLIPGenerator', tokenizerPath: file, ...ARCH, ...extra }, 'model.targetGenerator');

test.after(() => rmSync(dirname(file), { recursive: true, force: true }));

test('CLIPGenerator: features and last attention equal the PyTorch restatement (float64)', () => {
  const gen = build() as CLIPGenerator;
  assert.ok(gen instanceof CLIPGenerator);
  gen.to('float64');
  const x = torch.tidy(() => torch.randn([2, 3, 16, 16], { generator: new torch.Generator().manualSeed(5), dtype: 'float64' }));
  const dir = dirname(file);
  const xs = join(dir, 'x.pth');
  torch.save({ x }, xs);
  const ref = py<{ ok: boolean }>(
    `${PY_CLIP}
torch.set_default_dtype(torch.float64)
sd = torch.load(D['file'])
g = ClipGenerator(16, 4, 12, 2, 3, 6)
g.tokenizer.load_state_dict({k: v.double() for k, v in sd.items() if k.startswith('visual.')}, strict=True)
f, a = g(torch.load(D['x'])['x'])
torch.save({'f': f, 'a': a}, D['out'])
OUT = {'ok': True}`,
    { file, x: xs, out: join(dir, 'out.pth') },
  );
  assert.ok(ref.ok);
  const want = torch.load(join(dir, 'out.pth')) as { f: torch.Tensor; a: torch.Tensor };
  const { features, attention } = gen.forward(x);
  assert.deepEqual(features.shape, [2, 17, 6]);
  assert.deepEqual(attention.shape, [2, 17, 17]);
  torch.tidy(() => {
    assert.ok(features.sub(want.f).abs().max().item() < 1e-12, 'features');
    assert.ok(attention.sub(want.a).abs().max().item() < 1e-12, 'attention');
    // Each attention row is a distribution over the 17 tokens, and the features are not degenerate.
    assert.ok(attention.sum(-1).sub(1).abs().max().item() < 1e-12);
    assert.ok(features.std().item() > 0.1);
  });
  gen.dispose();
});

test('CLIPGenerator: frozen — no trainable parameter, no graph from its outputs', () => {
  const gen = build() as CLIPGenerator;
  assert.ok([...gen.parameters()].every((p) => !p.requiresGrad));
  assert.ok(Object.keys(gen.stateDict()).includes('tokenizer.visual.transformer.resblocks.1.attn.in_proj_weight'));
  gen.train();
  torch.tidy(() => {
    const x = torch.randn([1, 3, 16, 16]).requiresGrad_(true);
    const { features } = gen.forward(x);
    assert.equal(features.requiresGrad, false);
  });
  gen.dispose();
});

test('CLIPGenerator: a missing teacher file is a ConfigError naming the key and the checkpoint expected', () => {
  assert.throws(
    () => TARGET_GENERATORS.build({ type: 'CLIPGenerator', tokenizerPath: '/nonexistent/clip.pth' }, 'model.targetGenerator'),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message.includes('model.targetGenerator.tokenizerPath') &&
      e.message.includes('/nonexistent/clip.pth') &&
      e.message.includes('CLIP ViT-B/16') &&
      e.message.includes('docs/algorithms.md'),
  );
});

test('CLIPGenerator: a teacher of another size or an unreadable file is a ConfigError naming the key', () => {
  assert.throws(
    () => build({ embedDim: 16, numHeads: 2 }),
    (e: Error) => e instanceof ConfigError && e.message.includes('tokenizerPath') && /size mismatch/.test(e.message),
  );
  assert.throws(
    () => build({ depth: 3 }),
    (e: Error) => e instanceof ConfigError && /missing keys: .*resblocks\.2\./.test(e.message),
  );
  const bad = join(dirname(file), 'bad.pth');
  writeFileSync(bad, 'not a checkpoint');
  assert.throws(
    () => TARGET_GENERATORS.build({ type: 'CLIPGenerator', tokenizerPath: bad, ...ARCH }, 'model.targetGenerator'),
    (e: Error) => e instanceof ConfigError && e.message.includes('cannot read'),
  );
});

test('CLIPGenerator: a checkpoint made for another input size loads with its position table resized (PyTorch bicubic)', () => {
  // The file's table is for 16 px (a 4 × 4 grid); the teacher runs at 8 px (2 × 2) and at 24 px (6 × 6).
  for (const imgSize of [8, 24]) {
    const gen = build({ imgSize }) as CLIPGenerator;
    const grid = imgSize / 4;
    const ref = py<{ table: number[][] }>(
      `import torch.nn.functional as F
sd = torch.load(D['file'])
t = sd['visual.positional_embedding']
g = t[1:].reshape(1, 4, 4, -1).permute(0, 3, 1, 2)
r = F.interpolate(g, size=(D['grid'], D['grid']), mode='bicubic', align_corners=False)
OUT = {'table': torch.cat([t[:1], r.flatten(2).transpose(1, 2)[0]]).tolist()}`,
      { file, grid },
    );
    assert.equal(gen.visual.numTokens, 1 + grid * grid);
    torch.tidy(() => {
      const want = torch.tensor(ref.table);
      assert.ok(gen.visual.positionalEmbedding.sub(want).abs().max().item() < 1e-6, `table at ${imgSize} px`);
      const { features } = gen.forward(torch.randn([1, 3, imgSize, imgSize]));
      assert.deepEqual(features.shape, [1, 1 + grid * grid, 6]);
    });
    gen.dispose();
  }
  // A table that is not 1 + a square grid cannot be resized: named as such.
  const odd = join(dirname(file), 'odd.pth');
  const sd = torch.load(file) as Record<string, torch.Tensor>;
  sd['visual.positional_embedding'] = sd['visual.positional_embedding'].slice(0, 0, 7);
  torch.save(sd, odd);
  assert.throws(
    () => TARGET_GENERATORS.build({ type: 'CLIPGenerator', tokenizerPath: odd, ...ARCH }, 'model.targetGenerator'),
    (e: Error) =>
      e instanceof ConfigError && e.message.includes('tokenizerPath') && /7 rows, not 1 \+ a square grid/.test(e.message),
  );
});

test('CLIPGenerator: images of another size than the teacher’s are a RangeError', () => {
  const gen = build() as CLIPGenerator;
  assert.throws(() => torch.tidy(() => gen.forward(torch.zeros([1, 3, 32, 32]))), /expected \(N, 3, 16, 16\)/);
  gen.dispose();
});
