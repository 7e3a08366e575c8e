/**
 * `selfsup eval knn|linear|finetune`: benchmarks a backbone on any labelled data (MMSelfSup's
 * benchmarks/classification): a `selfsup train` checkpoint or converted weights, with the
 * random-init and raw-pixel baselines in the same table (`--baselines`).
 */
import { resolveDevice } from '../engine/device.js';
import { frozenBenchmark } from '../evaluation/benchmark.js';
import { fineTune } from '../evaluation/fine-tune.js';
import { evalLoader, loadModel, modelEncoder } from '../engine/model-source.js';
import { importUserModules } from '../core/user-modules.js';
import { type Encoder, pixelEncoder } from '../evaluation/features.js';
import { corruptFlag, EXIT, numberFlag, parseCommand, printJson, UsageError } from './args.js';

export const EVAL_USAGE = `usage: selfsup eval <knn|linear|finetune> [model] --train-data PATH [data options] [options]

model (one of):
  --checkpoint CKPT       a selfsup train checkpoint, or a work dir (its latest checkpoint)
  --config CFG [--weights W.pth]   a config's backbone, with converted weights (torchvision/timm/MMSelfSup)
  --random                the architecture randomly initialised (with --checkpoint or --config)
data:
  --train-data PATH       labelled data: an image folder, CIFAR/MNIST/STL-10 files, a tar, an image list
  --test-data PATH        default: the train path's test split
  --train-split S --test-split S    (defaults train / test)
  --size N                resize the short side to N and centre-crop N×N (images of varying size)
  --limit-train N --limit-test N    seeded random subsets
  --on-corrupt error|skip images that do not decode: fail (default) or leave out with a warning
options:
  --baselines             also evaluate the random-init backbone and raw pixels
  --k 10,20,100,200 --temperature 0.07                       (knn)
  --epochs N --lr X --batch-size N --optimizer sgd|lars|adamw --norm none|batchnorm|standardize
  --layer-decay R         (finetune, ViT)
  --warmup-epochs N --label-smoothing E --mixup A --cutmix A --ema M --clip-grad X
                          (finetune; MAE's ViT-B recipe: 5, 0.1, 0.8, 1.0, 1e-4 with --layer-decay 0.65)
  --stage I               backbone output to use (default the last)
  --device D              auto (default: a GPU when there is one), cpu, cuda, cuda:N
  --import FILE           modules registering custom parts
  --json                  print the results as JSON on the last line
`;

const OPTIONS = {
  checkpoint: { type: 'string' },
  config: { type: 'string' },
  weights: { type: 'string' },
  random: { type: 'boolean' },
  'train-data': { type: 'string' },
  'test-data': { type: 'string' },
  'train-split': { type: 'string' },
  'test-split': { type: 'string' },
  size: { type: 'string' },
  'limit-train': { type: 'string' },
  'limit-test': { type: 'string' },
  'on-corrupt': { type: 'string' },
  baselines: { type: 'boolean' },
  k: { type: 'string' },
  temperature: { type: 'string' },
  epochs: { type: 'string' },
  lr: { type: 'string' },
  'batch-size': { type: 'string' },
  optimizer: { type: 'string' },
  norm: { type: 'string' },
  'layer-decay': { type: 'string' },
  'warmup-epochs': { type: 'string' },
  'label-smoothing': { type: 'string' },
  mixup: { type: 'string' },
  cutmix: { type: 'string' },
  ema: { type: 'string' },
  'clip-grad': { type: 'string' },
  stage: { type: 'string' },
  device: { type: 'string' },
  import: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parsed model/data flags shared by eval, extract and vis. */
export function dataFlags(values: Record<string, string | boolean | string[] | undefined>) {
  const trainPath = values['train-data'] as string | undefined;
  if (!trainPath) throw new UsageError('--train-data is required');
  const size = numberFlag(values.size as string | undefined, '--size', { integer: true, min: 1 });
  const onCorrupt = corruptFlag(values['on-corrupt'] as string | undefined);
  return {
    train: {
      path: trainPath,
      split: (values['train-split'] as string | undefined) ?? 'train',
      size,
      limit: numberFlag(values['limit-train'] as string | undefined, '--limit-train', { integer: true, min: 1 }),
      onCorrupt,
    },
    test: {
      path: (values['test-data'] as string | undefined) ?? trainPath,
      split: (values['test-split'] as string | undefined) ?? 'test',
      size,
      limit: numberFlag(values['limit-test'] as string | undefined, '--limit-test', { integer: true, min: 1 }),
      onCorrupt,
    },
  };
}

export async function evaluate(argv: string[]): Promise<number> {
  const { values, positionals, cfgOptions } = parseCommand(argv, OPTIONS, { positionals: true });
  if (values.help) {
    console.log(EVAL_USAGE);
    return EXIT.OK;
  }
  const task = positionals[0];
  if (!['knn', 'linear', 'finetune'].includes(task ?? '') || positionals.length !== 1)
    throw new UsageError('eval needs one task: knn, linear or finetune');
  if (!values.checkpoint && !values.config) throw new UsageError('pass --checkpoint or --config');
  await importUserModules(values.import ?? []);
  const data = dataFlags(values);
  const stage = numberFlag(values.stage, '--stage', { integer: true });
  const epochs = numberFlag(values.epochs, '--epochs', { integer: true, min: 1 });
  const lr = numberFlag(values.lr, '--lr', { min: 0 });
  const batchSize = numberFlag(values['batch-size'], '--batch-size', { integer: true, min: 1 });
  const src = { checkpoint: values.checkpoint, config: values.config, weights: values.weights, cfgOptions };
  const device = resolveDevice(values.device, 0, '--device');
  const onDevice = <M extends { to(d: string): unknown }>(m: M): M => {
    if (device !== 'cpu') m.to(device);
    return m;
  };
  const main = loadModel({ ...src, random: values.random });
  onDevice(main.model);
  const log = (m: string) => {
    if (!values.json) console.error(`selfsup eval: ${m}`);
  };
  log(`${main.describe}${device === 'cpu' ? '' : ` on ${device}`}`);
  const train = await evalLoader({ ...data.train, batchSize: 256 });
  const test = await evalLoader({ ...data.test, batchSize: 256 });
  log(`train ${train.dataset.describe()}; test ${test.dataset.describe()}`);
  let results: Record<string, unknown>;
  if (task === 'finetune') {
    const opt = (values.optimizer as string | undefined) ?? 'adamw';
    if (opt !== 'adamw' && opt !== 'sgd') throw new UsageError(`--optimizer: finetune takes adamw or sgd, got '${opt}'`);
    const ftTrain = await evalLoader({ ...data.train, batchSize: batchSize ?? 64 });
    const r = await fineTune(main.model.backbone, ftTrain.loader, test.loader, {
      ...main.model.normalization,
      numClasses: Math.max(...Array.from(train.dataset.labels as ArrayLike<number>)) + 1,
      epochs: epochs ?? 10,
      optimizer: opt,
      lr,
      stage,
      layerDecayRate: numberFlag(values['layer-decay'], '--layer-decay', { min: 0 }),
      warmupEpochs: numberFlag(values['warmup-epochs'], '--warmup-epochs', { min: 0 }),
      labelSmoothing: numberFlag(values['label-smoothing'], '--label-smoothing', { min: 0 }),
      mixupAlpha: numberFlag(values.mixup, '--mixup', { min: 0 }),
      cutmixAlpha: numberFlag(values.cutmix, '--cutmix', { min: 0 }),
      emaMomentum: numberFlag(values.ema, '--ema', { min: 0 }),
      clipGradNorm: numberFlag(values['clip-grad'], '--clip-grad', { min: 0 }),
      onEpoch: ({ epoch, loss }) => log(`fine-tune epoch ${epoch + 1}: loss ${loss.toFixed(4)}`),
    });
    results = { ssl: { top1: r.top1, top5: r.top5, trainLoss: r.trainLoss } };
  } else {
    const encoders: Record<string, Encoder> = { ssl: modelEncoder(main.model, stage) };
    if (values.baselines) {
      encoders.random = modelEncoder(onDevice(loadModel({ ...src, random: true }).model), stage);
      encoders.pixels = pixelEncoder(main.model.normalization);
    }
    const ks = values.k ? values.k.split(',').map((k) => numberFlag(k, '--k', { integer: true, min: 1 }) as number) : undefined;
    const opt = values.optimizer as string | undefined;
    if (opt !== undefined && opt !== 'sgd' && opt !== 'lars')
      throw new UsageError(`--optimizer: linear takes sgd or lars, got '${opt}'`);
    const norm = values.norm as string | undefined;
    if (norm !== undefined && !['none', 'batchnorm', 'standardize'].includes(norm))
      throw new UsageError(`--norm: none, batchnorm or standardize, got '${norm}'`);
    results = await frozenBenchmark(encoders, train.loader, test.loader, {
      knn: task === 'knn' ? { k: ks, temperature: numberFlag(values.temperature, '--temperature', { min: 0 }) } : false,
      linear:
        task === 'linear'
          ? {
              epochs,
              lr,
              batchSize,
              optimizer: opt as 'sgd' | 'lars' | undefined,
              norm: norm as 'none' | 'batchnorm' | 'standardize' | undefined,
            }
          : false,
      onStage: log,
    });
  }
  // The same labels go to every encoder: each distinct warning once, on stderr (the JSON has them per encoder).
  const warnings = new Set(Object.values(results).flatMap((r) => (r as { warnings?: string[] }).warnings ?? []));
  for (const w of warnings) console.error(`selfsup eval: warning: ${w}`);
  if (values.json) {
    printJson({ task, train: train.dataset.describe(), test: test.dataset.describe(), results });
  } else {
    console.log(formatTable(task, results));
  }
  return EXIT.OK;
}

/** A small text table: one row per encoder, top-1/top-5 columns (per k for kNN). */
export function formatTable(task: string, results: Record<string, unknown>): string {
  const rows: string[] = [];
  for (const [name, r] of Object.entries(results) as [string, Record<string, unknown>][]) {
    if (task === 'knn' && r.knn) {
      for (const [k, acc] of Object.entries(r.knn as Record<string, { top1: number; top5: number }>))
        rows.push(
          `${name.padEnd(8)} k=${k.padEnd(4)} top-1 ${acc.top1.toFixed(2).padStart(6)}%  top-5 ${acc.top5.toFixed(2).padStart(6)}%`,
        );
    } else {
      const acc = (r.linear ?? r) as { top1: number; top5: number };
      rows.push(`${name.padEnd(8)} top-1 ${acc.top1.toFixed(2).padStart(6)}%  top-5 ${acc.top5.toFixed(2).padStart(6)}%`);
    }
  }
  return rows.join('\n');
}
