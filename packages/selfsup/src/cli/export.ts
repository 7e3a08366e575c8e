/**
 * `selfsup export backbone|onnx`: publish a trained backbone's weights (MMSelfSup's
 * extract_backbone_weights + publish_model) or write it as an ONNX model for other runtimes.
 */
import { writeFileSync } from 'node:fs';
import { nn } from '@selfsup/torch';
import type { Algorithm } from '../models/algorithms/base.js';
import { importUserModules } from '../core/user-modules.js';
import { loadModel } from '../engine/model-source.js';
import { type BackboneFormat, exportBackbone } from '../interop/export-backbone.js';
import { exportOnnx } from '../interop/onnx/export.js';
import { EXIT, numberFlag, printJson, UsageError } from './args.js';
import { type CommandSpec, defineCommand, runCommand, type Values } from './command.js';

export const EXPORT_USAGE = `usage: selfsup export backbone <checkpoint|workdir> [--out DIR] [--name NAME] [--format pth|safetensors|both] [--fp16] [--card-extra JSON] [--json]
       selfsup export onnx <checkpoint|workdir|config> --out model.onnx [--input-size 224|HxW] [--opset 17]
                           [--dynamic-batch] [--batch N] [--with-projector] [--stage I] [--weights W.pth] [--json]

backbone: the backbone's state dict (no 'backbone.' prefix, no optimizer/neck/head), fp32 or
  --fp16, written as <name>-<sha256[:8]>.pth/.safetensors with a JSON card <name>.json beside it.
onnx: the backbone in eval mode (ResNet, ConvNeXt, Swin, ViT or BEiT) as ONNX; input the
  normalised image (N, C, H, W), output 'features' (N, D) as the evaluation features (pooled
  last stage), and with --with-projector also 'projection' (the NonLinearNeck). The image mean/std
  (0–255 units) are in the model's metadata (selfsup.mean, selfsup.std) and in <out>.json beside it.
`;

function parseSize(v: string | undefined): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(v ?? '224');
  if (!m) throw new UsageError(`--input-size: expected N or HxW, got '${v}'`);
  const h = Number(m[1]);
  const w = m[2] === undefined ? h : Number(m[2]);
  if (h < 1 || w < 1) throw new UsageError(`--input-size: sizes must be positive, got '${v}'`);
  return [h, w];
}

const BACKBONE_OPTIONS = {
  out: { type: 'string' },
  name: { type: 'string' },
  format: { type: 'string' },
  fp16: { type: 'boolean' },
  'card-extra': { type: 'string' },
  json: { type: 'boolean' },
} as const;

function backboneCommand(values: Values<typeof BACKBONE_OPTIONS>, positionals: string[]): number {
  if (positionals.length !== 1) throw new UsageError('export backbone takes one checkpoint or work dir');
  const format = (values.format ?? 'pth') as BackboneFormat;
  if (!['pth', 'safetensors', 'both'].includes(format))
    throw new UsageError(`--format must be pth, safetensors or both, got '${values.format}'`);
  let cardExtra: Record<string, unknown> | undefined;
  if (values['card-extra'] !== undefined) {
    try {
      cardExtra = JSON.parse(values['card-extra']) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`--card-extra: not JSON: ${(e as Error).message}`);
    }
    if (cardExtra === null || typeof cardExtra !== 'object' || Array.isArray(cardExtra))
      throw new UsageError('--card-extra must be a JSON object');
  }
  const r = exportBackbone(positionals[0], { outDir: values.out, name: values.name, fp16: values.fp16, format, cardExtra });
  if (values.json) printJson(r);
  else {
    // What was written, a note: stderr (the stream rule; --json puts the result on stdout).
    for (const f of r.files) console.error(`selfsup export: ${f.path} (${(f.bytes / 1e6).toFixed(1)} MB, sha256 ${f.sha256})`);
    console.error(`selfsup export: card ${r.card} (${r.keys} tensors, ${r.parameters} values)`);
  }
  return EXIT.OK;
}

/** The algorithm's `neck` (BaseModel's projector), or a usage error for algorithms without one. */
function projectorOf(model: Algorithm): nn.AnyModule {
  const neck = (model as { neck?: unknown }).neck;
  if (!(neck instanceof nn.Module)) throw new UsageError(`--with-projector: ${model.constructor.name} has no neck`);
  return neck;
}

const ONNX_OPTIONS = {
  out: { type: 'string' },
  'input-size': { type: 'string' },
  opset: { type: 'string', number: { integer: true } },
  'dynamic-batch': { type: 'boolean' },
  batch: { type: 'string', number: { integer: true, min: 1 } },
  'with-projector': { type: 'boolean' },
  stage: { type: 'string', number: { integer: true } },
  weights: { type: 'string' },
  import: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

async function onnxCommand(values: Values<typeof ONNX_OPTIONS>, positionals: string[], cfgOptions: string[]): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('export onnx takes one checkpoint, work dir or config');
  if (!values.out?.endsWith('.onnx')) throw new UsageError('--out must name a .onnx file');
  await importUserModules(values.import ?? []);
  const src = positionals[0];
  const isConfig = /\.(ts|js|mjs|json)$/.test(src);
  const { model } = loadModel(
    isConfig ? { config: src, weights: values.weights, cfgOptions } : { checkpoint: src, weights: values.weights, cfgOptions },
  );
  const inputSize = parseSize(values['input-size']);
  const t0 = performance.now();
  const r = exportOnnx(model.backbone, {
    inputSize,
    opset: numberFlag(values.opset, '--opset', { integer: true }),
    dynamicBatch: values['dynamic-batch'],
    batchSize: numberFlag(values.batch, '--batch', { integer: true, min: 1 }),
    stage: numberFlag(values.stage, '--stage', { integer: true }),
    projector: values['with-projector'] ? projectorOf(model) : null,
    normalization: model.normalization,
  });
  writeFileSync(values.out, r.bytes);
  const info = { input: r.input, outputs: r.outputs, mean: model.normalization.mean, std: model.normalization.std };
  writeFileSync(`${values.out.replace(/\.onnx$/, '')}.json`, `${JSON.stringify(info, null, 2)}\n`);
  const result = { file: values.out, bytes: r.bytes.length, nodes: r.nodes, ms: Math.round(performance.now() - t0), ...info };
  if (values.json) printJson(result);
  else
    console.error(
      `selfsup export: ${values.out} (${(r.bytes.length / 1e6).toFixed(1)} MB, ${r.nodes} nodes): ${r.input.name} [${r.input.shape}] → ${r.outputs.map((o) => `${o.name} [${o.shape}]`).join(', ')}`,
    );
  return EXIT.OK;
}

/** `selfsup export <backbone|onnx> …`. */
export const EXPORT = defineCommand({
  name: 'export',
  summary: "a trained backbone's weights with a model card (backbone), or as ONNX (onnx)",
  usage: EXPORT_USAGE,
  subcommands: [
    defineCommand({
      name: 'backbone',
      summary: "the backbone's weights (.pth/.safetensors, sha256-named) and a JSON card",
      usage: EXPORT_USAGE,
      args: '[checkpoint...]',
      options: BACKBONE_OPTIONS,
      run: backboneCommand,
    }) as CommandSpec,
    defineCommand({
      name: 'onnx',
      summary: 'the backbone (and optionally its projector) as an ONNX model',
      usage: EXPORT_USAGE,
      args: '[source...]',
      options: ONNX_OPTIONS,
      cfgOptions: true,
      run: onnxCommand,
    }) as CommandSpec,
  ],
});

/** Runs `selfsup export <argv>`; returns the exit code. */
export const exportCommand = (argv: string[]): Promise<number> => runCommand(EXPORT, argv);
