/** `selfsup extract`: a backbone's pooled features and the labels of a dataset, to safetensors or `.npy`. */
import { Progress } from '../core/progress.js';
import { resolveDevice } from '../engine/device.js';
import { extractFeatures } from '../evaluation/features.js';
import { saveFeatures } from '../evaluation/save-features.js';
import { samplePath } from '../data/sample-paths.js';
import { encoderFor, evalLoader } from '../engine/model-source.js';
import { importUserModules } from '../core/user-modules.js';
import { corruptFlag, EXIT, numberFlag, printJson, UsageError } from './args.js';
import { defineCommand, runCommand, type Values } from './command.js';

export const EXTRACT_USAGE = `usage: selfsup extract [model] --data PATH --out FILE.safetensors|FILE.npy [options]

model: --checkpoint CKPT | --config CFG [--weights W.pth] [--random] | --pixels
options: --split S (default train)  --size N  --stage I  --limit N  --on-corrupt error|skip  --device D  --import FILE  --json
Writes (N, D) float32 features and (N) int64 labels (-1 when unlabelled), and where each row came
from: safetensors metadata 'paths' and 'classes' (JSON string arrays: one path per row, class names
by label); .npy writes the labels to FILE.labels.npy and FILE.csv (index,path,label,class) beside it.
A path is the image file, <archive>/<member> for a tar, #<index> for CIFAR/MNIST/STL-10.
`;

const OPTIONS = {
  checkpoint: { type: 'string' },
  config: { type: 'string' },
  weights: { type: 'string' },
  random: { type: 'boolean' },
  pixels: { type: 'boolean' },
  data: { type: 'string' },
  split: { type: 'string' },
  size: { type: 'string', number: { integer: true, min: 1 } },
  stage: { type: 'string', number: { integer: true } },
  device: { type: 'string' },
  limit: { type: 'string', number: { integer: true, min: 1 } },
  'on-corrupt': { type: 'string' },
  out: { type: 'string' },
  import: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

export const EXTRACT = defineCommand({
  name: 'extract',
  summary: 'features and labels of a dataset to safetensors / .npy',
  usage: EXTRACT_USAGE,
  options: OPTIONS,
  cfgOptions: true,
  run: runExtract,
});

/** Runs `selfsup extract <argv>`; returns the exit code. */
export const extract = (argv: string[]): Promise<number> => runCommand(EXTRACT, argv);

async function runExtract(values: Values<typeof OPTIONS>, _args: string[], cfgOptions: string[]): Promise<number> {
  if (!values.data) throw new UsageError('--data is required');
  if (!values.out || !/\.(safetensors|npy)$/.test(values.out)) throw new UsageError('--out must end in .safetensors or .npy');
  if (!values.pixels && !values.checkpoint && !values.config) throw new UsageError('pass --checkpoint, --config or --pixels');
  await importUserModules(values.import ?? []);
  const size = numberFlag(values.size, '--size', { integer: true, min: 1 });
  const { dataset, loader } = await evalLoader({
    path: values.data,
    split: values.split ?? 'train',
    size,
    limit: numberFlag(values.limit, '--limit', { integer: true, min: 1 }),
    labelled: false,
    onCorrupt: corruptFlag(values['on-corrupt']),
  });
  const encoder = encoderFor({
    pixels: values.pixels,
    checkpoint: values.checkpoint,
    config: values.config,
    weights: values.weights,
    random: values.random,
    cfgOptions,
    stage: numberFlag(values.stage, '--stage', { integer: true }),
    device: values.pixels ? 'cpu' : resolveDevice(values.device, 0, '--device'),
  });
  const bar = new Progress('features', dataset.length);
  const f = await extractFeatures(encoder, loader, { onProgress: ({ done, total }) => bar.update(done, undefined, total) });
  bar.done();
  try {
    const rows = Array.from(f.indices.toTypedArray() as ArrayLike<number | bigint>, Number);
    const sources = { paths: rows.map((i) => samplePath(dataset, i)), classes: dataset.classes ?? [] };
    const files = saveFeatures(values.out, f, { metadata: { dataset: dataset.describe() }, sources });
    const result = { files, count: f.features.shape[0], dim: f.features.shape[1], dataset: dataset.describe() };
    if (values.json) printJson(result);
    // What was written, a note: stderr (the stream rule; --json puts the result on stdout).
    else console.error(`selfsup extract: ${result.count} × ${result.dim} features → ${files.join(', ')}`);
  } finally {
    for (const t of [f.features, f.labels, f.indices]) t.dispose();
  }
  return EXIT.OK;
}
