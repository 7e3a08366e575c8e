/**
 * `selfsup export backbone`: from a checkpoint laid out as `selfsup train` writes it (config in
 * `meta`, the algorithm's state dict, an optimizer), the exported file holds only the backbone
 * (prefix stripped), loads back into a fresh backbone with identical features (fp32) or within
 * fp16 rounding, its name carries the first 8 hex digits of its sha256 (computed here over the
 * written bytes), Python's `torch.load` sees the same keys and shapes, and the card records the
 * run and the evaluation numbers of the work dir.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import * as ort from 'onnxruntime-node';
import { main } from '../../src/cli/index.js';
import { saveCheckpoint } from '../../src/engine/checkpoint.js';
import { prepareConfig } from '../../src/engine/config/prepare.js';
import type { Algorithm } from '../../src/models/algorithms/base.js';
import { ALGORITHMS } from '../../src/models/registries.js';
import { py } from '../helpers.js';

const CONFIG = fileURLToPath(
  new URL('../../../configs/simclr/simclr_resnet18-w025_1xb256-coslr-100e_cifar10.ts', import.meta.url),
);

function features(model: Algorithm, x: Tensor): Tensor {
  return torch.noGrad(() => (model.backbone.forward(x).at(-1) as Tensor).mean([2, 3]));
}

function quiet<T>(f: () => Promise<T>): Promise<{ value: T; out: string }> {
  const log = console.log;
  let out = '';
  console.log = (...a: unknown[]) => {
    out += `${a.join(' ')}\n`;
  };
  return f()
    .then((value) => ({ value, out }))
    .finally(() => {
      console.log = log;
    });
}

test('export backbone + onnx: backbone-only .pth/.safetensors named by sha256, loading back with the same features, and a card', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-export-backbone-'));
  const work = join(dir, 'work');
  mkdirSync(join(work, 'checkpoints'), { recursive: true });
  const cfg = prepareConfig(CONFIG);
  torch.manualSeed(0);
  const model = ALGORITHMS.build(cfg.model, 'model');
  // Non-default BN statistics, so that buffers are checked too.
  torch.noGrad(() => {
    for (const [k, v] of Object.entries(model.stateDict()))
      if (k.endsWith('running_mean')) v.copy_(torch.randn(v.shape).mul_(0.1));
  });
  model.eval();
  const state = {
    meta: { epoch: 3, iter: 30, config: JSON.stringify(cfg), selfsup_version: '0.1.0' },
    state_dict: model.stateDict() as unknown as torch.StateValue,
    optimizer: { state: { 0: { momentum_buffer: torch.ones([2]) } }, param_groups: [] },
  };
  saveCheckpoint(join(work, 'checkpoints'), 'epoch_3.pth', state as torch.StateDict);
  writeFileSync(
    join(work, 'log.jsonl'),
    `${JSON.stringify({ mode: 'val', epoch: 3, iter: 30, time: 1, knn_top1: 41.5, knn_top5: 88 })}\n`,
  );
  const evalJson = { task: 'knn', train: 'x', test: 'y', results: { ssl: { knn: { 20: { top1: 43.25, top5: 90.5 } } } } };
  writeFileSync(join(work, 'eval.json'), `progress line\n${JSON.stringify(evalJson)}\n`);

  const out32 = join(dir, 'fp32');
  const r32 = await quiet(() =>
    main([
      'export',
      'backbone',
      work,
      '--out',
      out32,
      '--format',
      'both',
      '--name',
      'simclr_r18',
      '--card-extra',
      '{"license":"Apache-2.0"}',
    ]),
  );
  assert.equal(r32.value, 0, r32.out);
  const out16 = join(dir, 'fp16');
  const r16 = await quiet(() => main(['export', 'backbone', join(work, 'checkpoints', 'epoch_3.pth'), '--out', out16, '--fp16']));
  assert.equal(r16.value, 0, r16.out);

  // Names: <stem>-<first 8 hex of sha256 of the bytes>.<ext>.
  const files32 = readdirSync(out32).sort();
  assert.equal(files32.length, 3, `${files32}`);
  const card = JSON.parse(readFileSync(join(out32, 'simclr_r18.json'), 'utf8'));
  for (const f of files32.filter((n) => !n.endsWith('.json'))) {
    const sha = createHash('sha256')
      .update(readFileSync(join(out32, f)))
      .digest('hex');
    assert.match(f, new RegExp(`^simclr_r18-${sha.slice(0, 8)}\\.(pth|safetensors)$`));
    assert.ok(
      card.files.some((e: { file: string; sha256: string }) => e.file === f && e.sha256 === sha),
      `card lists ${f}`,
    );
  }
  const [file16] = readdirSync(out16).filter((n) => n.endsWith('.pth'));
  const sha16 = createHash('sha256')
    .update(readFileSync(join(out16, file16)))
    .digest('hex');
  const stem16 = `${cfg.expName || 'work'}_backbone`;
  assert.equal(file16, `${stem16}-${sha16.slice(0, 8)}.pth`, 'default stem: the experiment (work dir) name');

  // Only backbone keys, prefix stripped, nothing else.
  const expected = Object.entries(model.stateDict())
    .filter(([k]) => k.startsWith('backbone.'))
    .map(([k, v]) => [k.slice(9), v.shape] as const);
  const pth = files32.find((n) => n.endsWith('.pth')) as string;
  const loaded = torch.load(join(out32, pth)) as Record<string, Tensor>;
  assert.deepEqual(Object.keys(loaded).sort(), expected.map(([k]) => k).sort());

  // Back into a fresh backbone: identical features (fp32, both formats), fp16 within rounding.
  torch.manualSeed(5);
  const x = torch.randn([4, 3, 32, 32]);
  const want = features(model, x);
  for (const f of files32.filter((n) => !n.endsWith('.json'))) {
    torch.manualSeed(9);
    const fresh = ALGORITHMS.build(cfg.model, 'model');
    fresh.backbone.loadStateDict(torch.load(join(out32, f)) as Record<string, Tensor>, { strict: true });
    fresh.eval();
    assert.equal(features(fresh, x).sub(want).abs().max().item(), 0, `${f}: identical features`);
  }
  const half = torch.load(join(out16, file16)) as Record<string, Tensor>;
  assert.equal(half['conv1.weight'].dtype, 'float16');
  assert.equal(half['bn1.num_batches_tracked'].dtype, 'int64', 'integer buffers keep their type');
  const fresh16 = ALGORITHMS.build(cfg.model, 'model');
  fresh16.backbone.loadStateDict(half, { strict: true });
  fresh16.eval();
  const d16 = features(fresh16, x).sub(want).abs().max().item();
  const scale = want.abs().max().item();
  assert.ok(d16 > 0 && d16 <= 1e-2 * scale, `fp16 features differ by ${d16} (scale ${scale})`);

  // Python's torch.load: same keys and shapes, fp16 dtype.
  const pyShapes = py<Record<string, { shape: number[]; dtype: string }>[]>(
    `OUT = [{k: {'shape': list(v.shape), 'dtype': str(v.dtype)} for k, v in torch.load(f).items()} for f in D['files']]`,
    { files: [join(out32, pth), join(out16, file16)] },
  );
  for (const [i, shapes] of pyShapes.entries()) {
    assert.deepEqual(
      Object.fromEntries(Object.entries(shapes).map(([k, v]) => [k, v.shape])),
      Object.fromEntries(expected.map(([k, s]) => [k, s])),
    );
    assert.equal(shapes['conv1.weight'].dtype, i === 0 ? 'torch.float32' : 'torch.float16');
  }

  // The card.
  assert.equal(card.algorithm, 'SimCLR');
  assert.equal(card.backbone, 'ResNet');
  assert.equal(card.epochs, 3);
  assert.equal(card.iters, 30);
  assert.equal(card.dtype, 'float32');
  assert.equal(card.keys, expected.length);
  assert.deepEqual(card.data, { type: (cfg.trainDataloader.dataset as { type: string }).type, root: card.data.root });
  assert.equal(card.versions.libtorch, torch.version);
  assert.equal(card.license, 'Apache-2.0');
  assert.deepEqual(card.evaluation.knn, evalJson.results);
  assert.equal(card.evaluation.linear, null);
  assert.deepEqual(card.evaluation.knnOnline, { top1: 41.5, top5: 88, epoch: 3 });
  assert.deepEqual(card.resolvedConfig.model, JSON.parse(JSON.stringify(cfg.model)));
  assert.ok(!Number.isNaN(Date.parse(card.date)));
  const card16 = JSON.parse(readFileSync(join(out16, `${stem16}.json`), 'utf8'));
  assert.equal(card16.dtype, 'float16');
  assert.equal(basename(card16.checkpoint), 'epoch_3.pth');

  // `export onnx` from the same work dir: features and projection as selfsup computes them.
  const onnxFile = join(dir, 'simclr.onnx');
  const ro = await quiet(() =>
    main(['export', 'onnx', work, '--out', onnxFile, '--input-size', '32', '--dynamic-batch', '--with-projector', '--json']),
  );
  assert.equal(ro.value, 0, ro.out);
  const sidecar = JSON.parse(readFileSync(join(dir, 'simclr.json'), 'utf8'));
  assert.deepEqual({ mean: sidecar.mean, std: sidecar.std }, model.normalization);
  const session = await ort.InferenceSession.create(onnxFile);
  const r = await session.run({ images: new ort.Tensor('float32', x.toTypedArray() as Float32Array, x.shape) });
  const proj = torch.noGrad(
    () => (model as unknown as { neck: torch.nn.Module<[Tensor[]], Tensor[]> }).neck.forward(model.backbone.forward(x))[0],
  );
  for (const [name, t] of [
    ['features', want],
    ['projection', proj],
  ] as const) {
    const got = torch.tensor(r[name].data as Float32Array, { shape: [...r[name].dims] });
    const d = got.sub(t).abs().max().item();
    assert.ok(d <= 1e-4, `onnx ${name} differs by ${d}`);
  }
});

test('export: usage errors for a missing subcommand target, bad format and non-object card extras', async () => {
  const err = console.error;
  const lines: string[] = [];
  console.error = (...a: unknown[]) => lines.push(a.join(' '));
  try {
    assert.equal(await main(['export', 'weights']), 2);
    assert.equal(await main(['export', 'backbone', 'x', '--format', 'npz']), 2);
    assert.equal(await main(['export', 'backbone', 'x', '--card-extra', '[1]']), 2);
    assert.equal(await main(['export', 'onnx', 'x.ts', '--out', 'm.pb']), 2);
  } finally {
    console.error = err;
  }
  assert.match(lines[0], /unknown command 'weights'/);
  assert.match(lines[1], /--format must be pth, safetensors or both/);
  assert.match(lines[2], /--card-extra must be a JSON object/);
  assert.match(lines[3], /--out must name a \.onnx file/);
});
