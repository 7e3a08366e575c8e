/**
 * `selfsup eval knn|linear|svm|finetune|semi`: benchmarks a backbone on any labelled data
 * (MMSelfSup's benchmarks/classification): a `selfsup train` checkpoint or converted weights, with
 * the random-init and raw-pixel baselines in the same table (`--baselines`), optionally repeated
 * over seeds (`--repeat N`: mean ± std per metric).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Progress, progressBars } from '../core/progress.js';
import { resolveDevice } from '../engine/device.js';
import { frozenBenchmark } from '../evaluation/benchmark.js';
import { fineTune } from '../evaluation/fine-tune.js';
import { evalLoader, loadModel, modelEncoder } from '../engine/model-source.js';
import { importUserModules } from '../core/user-modules.js';
import { type Encoder, pixelEncoder } from '../evaluation/features.js';
import { aggregateRuns, formatMetric } from '../evaluation/repeat.js';
import { labelFractionSubset, SEMI_SUPERVISED_PERCENTS, semiSupervisedRecipe } from '../evaluation/semi-supervised.js';
import { svmCostList } from '../evaluation/svm-benchmark.js';
import { DataLoader } from '../data/loader/loader.js';
import { hasSplit } from '../data/holdout.js';
import { corruptFlag, EXIT, numberFlag, printJson, UsageError } from './args.js';
import { type CommandSpec, defineCommand, runCommand, type Values } from './command.js';

export const EVAL_USAGE = `usage: selfsup eval <knn|linear|svm|finetune|semi> [model] --train-data PATH [data options] [options]

model (one of):
  --checkpoint CKPT       a selfsup train checkpoint, or a work dir (its latest checkpoint)
  --config CFG [--weights W.pth]   a config's backbone, with converted weights (torchvision/timm/MMSelfSup)
  --random                the architecture randomly initialised (with --checkpoint or --config)
data:
  --train-data PATH       labelled data: an image folder, CIFAR/MNIST/STL-10 files, a tar, an image list
  --test-data PATH        default: the train path's test split
  --train-split S --test-split S    (defaults train / test)
  --test-fraction F       data without a test split: a seeded (--seed), class-balanced hold-out of
                          F of the training data is the test set, the rest the train set (each class
                          gives round(F·n), at least 1, keeping 1 for training). An error when the data
                          has a test split, unless --force-split (then the test split is not used)
  --size N                resize the short side to N and centre-crop N×N (images of varying size)
  --limit-train N --limit-test N    seeded random subsets
  --on-corrupt error|skip images that do not decode: fail (default) or leave out with a warning
options:
  --baselines             also evaluate the random-init backbone and raw pixels
  --k 10,20,100,200 --temperature 0.07                       (knn)
  --epochs N --lr X --batch-size N --optimizer sgd|lars|adamw --norm none|batchnorm|standardize
  --layer-decay R         (finetune, ViT)
  --costs 1,10,100        (svm) the cost sweep; MMSelfSup's 0.5^4 … 0.5^19 are always added
  --low-shot              (svm) the low-shot variant: k images per class, averaged over samples
  --shots 1,2,4,8,16,32,64,96 --samples 5                    (svm --low-shot)
  --percent 1,10          (semi) percentages of the labels, class-balanced and seeded
  --head-lr-mult M        (semi) the head's lr multiplier (MMSelfSup's configs: 1, 10 or 100)
  --warmup-epochs N --label-smoothing E --mixup A --cutmix A --ema M --clip-grad X
                          (finetune; MAE's ViT-B recipe: 5, 0.1, 0.8, 1.0, 1e-4 with --layer-decay 0.65)
  --stage I               backbone output to use (default the last)
  --repeat N              run N times with seeds S, S+1, …: mean ± std per metric
  --seed S                the first seed (default 0): subsets, initialisations, orders, low-shot samples
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
  'test-fraction': { type: 'string', number: { positive: true } },
  'force-split': { type: 'boolean' },
  size: { type: 'string', number: { integer: true, min: 1 } },
  'limit-train': { type: 'string', number: { integer: true, min: 1 } },
  'limit-test': { type: 'string', number: { integer: true, min: 1 } },
  'on-corrupt': { type: 'string' },
  baselines: { type: 'boolean' },
  k: { type: 'string', numberList: { integer: true, min: 1 } },
  temperature: { type: 'string', number: { min: 0 } },
  epochs: { type: 'string', number: { integer: true, min: 1 } },
  lr: { type: 'string', number: { min: 0 } },
  'batch-size': { type: 'string', number: { integer: true, min: 1 } },
  optimizer: { type: 'string' },
  norm: { type: 'string' },
  'layer-decay': { type: 'string', number: { min: 0 } },
  'warmup-epochs': { type: 'string', number: { min: 0 } },
  'label-smoothing': { type: 'string', number: { min: 0 } },
  mixup: { type: 'string', number: { min: 0 } },
  cutmix: { type: 'string', number: { min: 0 } },
  ema: { type: 'string', number: { min: 0 } },
  'clip-grad': { type: 'string', number: { min: 0 } },
  costs: { type: 'string', numberList: { min: 0 } },
  'low-shot': { type: 'boolean' },
  shots: { type: 'string', numberList: { integer: true, min: 1 } },
  samples: { type: 'string', number: { integer: true, min: 1 } },
  percent: { type: 'string', numberList: { min: 0 } },
  'head-lr-mult': { type: 'string', number: { min: 0 } },
  repeat: { type: 'string', number: { integer: true, min: 1 } },
  seed: { type: 'string', number: { integer: true, min: 0 } },
  stage: { type: 'string', number: { integer: true } },
  device: { type: 'string' },
  import: { type: 'string', multiple: true },
  json: { type: 'boolean' },
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

/**
 * `--test-fraction F [--force-split]`: the train and test data become the two parts of a
 * class-balanced hold-out of the train data (seeded by the run's seed). F is refused where the data
 * has a test split (the published benchmark's split should be used) unless `--force-split`, and
 * never goes with `--test-data`/`--test-split`. Without F, data with no test split is a usage error
 * that suggests it.
 */
export function holdoutFlags(
  values: Record<string, string | boolean | string[] | undefined>,
  data: ReturnType<typeof dataFlags>,
): ReturnType<typeof dataFlags> & { train: { holdout?: Holdout }; test: { holdout?: Holdout } } {
  const raw = values['test-fraction'] as string | undefined;
  const path = data.train.path;
  if (raw === undefined) {
    if (values['force-split']) throw new UsageError('--force-split goes with --test-fraction');
    if (!values['test-data'] && !hasSplit(path, data.test.split))
      throw new UsageError(
        `${path} has no '${data.test.split}' split: pass --test-fraction F (e.g. 0.2) to hold out a class-balanced part of the training data, or --test-data PATH`,
      );
    return data;
  }
  const fraction = numberFlag(raw, '--test-fraction', { min: 0 }) as number;
  if (!(fraction > 0 && fraction < 1)) throw new UsageError(`--test-fraction: expected a fraction in (0, 1), got '${raw}'`);
  if (values['test-data'] || values['test-split'])
    throw new UsageError('--test-fraction holds out part of the training data: it does not go with --test-data or --test-split');
  if (!values['force-split'] && hasSplit(path, 'test'))
    throw new UsageError(
      `${path} has a test split: evaluate on it (drop --test-fraction), or pass --force-split to hold out ${raw} of the training data instead`,
    );
  return {
    train: { ...data.train, holdout: { fraction, part: 'train' } },
    test: { ...data.train, limit: data.test.limit, holdout: { fraction, part: 'test' } },
  };
}
type Holdout = { fraction: number; part: 'train' | 'test' };

const TASKS = ['knn', 'linear', 'svm', 'finetune', 'semi'];

function listFlag(value: string | undefined, flag: string, o: { integer?: boolean; min?: number } = {}): number[] | undefined {
  return value?.split(',').map((v) => numberFlag(v, flag, o) as number);
}

const SUMMARIES: Record<string, string> = {
  knn: 'weighted kNN on frozen features (top-1/top-5 per k)',
  linear: 'linear probe on frozen features',
  svm: 'linear SVMs on frozen features (VOC07 protocol), or the low-shot variant',
  finetune: 'fine-tune the whole backbone with a classification head',
  semi: 'semi-supervised fine-tuning on 1 % / 10 % of the labels',
};

export const EVAL = defineCommand({
  name: 'eval',
  aliases: ['test'],
  summary: 'kNN, linear probe, SVM, fine-tune or semi-supervised fine-tune a backbone on labelled data (with baselines)',
  usage: EVAL_USAGE,
  subcommands: TASKS.map((task) =>
    defineCommand({
      name: task,
      summary: SUMMARIES[task],
      usage: EVAL_USAGE,
      options: OPTIONS,
      cfgOptions: true,
      run: (values, _args, cfgOptions) => runEval(task, values, cfgOptions),
    }),
  ) as CommandSpec[],
});

/** Runs `selfsup eval <argv>`; returns the exit code. */
export const evaluate = (argv: string[]): Promise<number> => runCommand(EVAL, argv);

async function runEval(task: string, values: Values<typeof OPTIONS>, cfgOptions: string[]): Promise<number> {
  if (!values.checkpoint && !values.config) throw new UsageError('pass --checkpoint or --config');
  await importUserModules(values.import ?? []);
  // A missing checkpoint is named before the data is looked at (its splits decide the hold-out rules).
  if (values.checkpoint && !existsSync(values.checkpoint)) throw new Error(`checkpoint not found: ${resolve(values.checkpoint)}`);
  const data = holdoutFlags(values, dataFlags(values));
  const stage = numberFlag(values.stage, '--stage', { integer: true });
  const epochs = numberFlag(values.epochs, '--epochs', { integer: true, min: 1 });
  const lr = numberFlag(values.lr, '--lr', { min: 0 });
  const batchSize = numberFlag(values['batch-size'], '--batch-size', { integer: true, min: 1 });
  const repeat = numberFlag(values.repeat, '--repeat', { integer: true, min: 1 }) ?? 1;
  const seed0 = numberFlag(values.seed, '--seed', { integer: true, min: 0 }) ?? 0;
  const percents = listFlag(values.percent, '--percent', { min: 0 }) ?? [...SEMI_SUPERVISED_PERCENTS];
  if (percents.some((p) => !(p > 0 && p <= 100)))
    throw new UsageError(`--percent: percentages in (0, 100], got '${values.percent}'`);
  const costs = listFlag(values.costs, '--costs', { min: 0 });
  if (costs?.some((c) => !(c > 0))) throw new UsageError(`--costs: positive numbers, got '${values.costs}'`);
  const shots = listFlag(values.shots, '--shots', { integer: true, min: 1 });
  const samples = numberFlag(values.samples, '--samples', { integer: true, min: 1 });
  const headLrMult = numberFlag(values['head-lr-mult'], '--head-lr-mult', { min: 0 });
  if (task !== 'svm' && (values['low-shot'] || costs || shots || samples))
    throw new UsageError('--costs, --low-shot, --shots and --samples are svm options');
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
  const describe = { train: '', test: '' };

  /** One run of the task with `seed`: results per encoder. */
  const runOnce = async (seed: number): Promise<Record<string, unknown>> => {
    const train = await evalLoader({ ...data.train, seed, batchSize: 256 });
    const test = await evalLoader({ ...data.test, seed, batchSize: 256 });
    describe.train = train.dataset.describe();
    describe.test = test.dataset.describe();
    log(`train ${describe.train}; test ${describe.test}${repeat > 1 ? ` (seed ${seed})` : ''}`);
    const numClasses = Math.max(...Array.from(train.dataset.labels as ArrayLike<number>)) + 1;
    if (task === 'finetune' || task === 'semi') {
      // One bar per fine-tuning run, over its iterations; the per-epoch note clears it first.
      let bar: Progress | null = null;
      const withBar = async <T>(label: string, iters: number, body: () => Promise<T>): Promise<T> => {
        bar = new Progress(label, iters);
        try {
          return await body();
        } finally {
          bar.done();
          bar = null;
        }
      };
      const opt = (values.optimizer as string | undefined) ?? (task === 'semi' ? 'sgd' : 'adamw');
      if (opt !== 'adamw' && opt !== 'sgd') throw new UsageError(`--optimizer: ${task} takes adamw or sgd, got '${opt}'`);
      const common = {
        ...main.model.normalization,
        numClasses,
        optimizer: opt as 'adamw' | 'sgd',
        stage,
        seed,
        layerDecayRate: numberFlag(values['layer-decay'], '--layer-decay', { min: 0 }),
        warmupEpochs: numberFlag(values['warmup-epochs'], '--warmup-epochs', { min: 0 }),
        labelSmoothing: numberFlag(values['label-smoothing'], '--label-smoothing', { min: 0 }),
        mixupAlpha: numberFlag(values.mixup, '--mixup', { min: 0 }),
        cutmixAlpha: numberFlag(values.cutmix, '--cutmix', { min: 0 }),
        emaMomentum: numberFlag(values.ema, '--ema', { min: 0 }),
        clipGradNorm: numberFlag(values['clip-grad'], '--clip-grad', { min: 0 }),
        onIter: ({ epoch, iter, loss }: { epoch: number; iter: number; loss: number }) =>
          bar?.update(iter + 1, { epoch: epoch + 1, loss }),
        onEpoch: ({ epoch, loss }: { epoch: number; loss: number }) => {
          bar?.clear();
          log(`fine-tune epoch ${epoch + 1}: loss ${loss.toFixed(4)}`);
        },
      };
      // Fine-tuning trains the backbone in place: every run (and label fraction) starts from fresh weights.
      const names = values.baselines ? ['ssl', 'random'] : ['ssl'];
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const fresh = () => onDevice(loadModel({ ...src, random: name === 'random' || values.random, seed }).model).backbone;
        if (task === 'finetune') {
          const ftTrain = await evalLoader({ ...data.train, seed, batchSize: batchSize ?? 64 });
          const e = epochs ?? 10;
          const r = await withBar(`${name} fine-tune`, e * ftTrain.loader.length, () =>
            fineTune(fresh(), ftTrain.loader, test.loader, { ...common, epochs: e, lr }),
          );
          r.model.dispose();
          out[name] = { top1: r.top1, top5: r.top5, trainLoss: r.trainLoss };
          continue;
        }
        const byPercent: Record<string, unknown> = {};
        for (const p of percents) {
          const recipe = semiSupervisedRecipe(p);
          const subset = labelFractionSubset(train.dataset, p / 100, seed);
          log(`${name}: ${p}% of the labels (${subset.length} images)`);
          const loader = new DataLoader(subset, {
            batchSize: batchSize ?? recipe.batchSize,
            views: train.loader.o.views,
            shuffle: true,
            seed,
            onCorrupt: data.train.onCorrupt,
          });
          const e = epochs ?? recipe.epochs;
          const r = await withBar(`${name} ${p}% fine-tune`, e * loader.length, () =>
            fineTune(fresh(), loader, test.loader, {
              ...recipe,
              ...common,
              epochs: e,
              lr: lr ?? recipe.lr,
              headLrMult: headLrMult ?? recipe.headLrMult,
              // The recipe's milestones are for 20 epochs; a shorter run keeps only those it reaches.
              multiStep: {
                ...recipe.multiStep,
                milestones: recipe.multiStep.milestones.filter((m) => m < e),
              },
            }),
          );
          r.model.dispose();
          byPercent[`${p}%`] = { top1: r.top1, top5: r.top5, labelled: subset.length, trainLoss: r.trainLoss };
        }
        out[name] = byPercent;
      }
      return out;
    }
    const encoders: Record<string, Encoder> = { ssl: modelEncoder(main.model, stage) };
    if (values.baselines) {
      encoders.random = modelEncoder(onDevice(loadModel({ ...src, random: true, seed }).model), stage);
      encoders.pixels = pixelEncoder(main.model.normalization);
    }
    const ks = values.k ? values.k.split(',').map((k) => numberFlag(k, '--k', { integer: true, min: 1 }) as number) : undefined;
    const opt = values.optimizer as string | undefined;
    if (opt !== undefined && opt !== 'sgd' && opt !== 'lars')
      throw new UsageError(`--optimizer: linear takes sgd or lars, got '${opt}'`);
    const norm = values.norm as string | undefined;
    if (norm !== undefined && !['none', 'batchnorm', 'standardize'].includes(norm))
      throw new UsageError(`--norm: none, batchnorm or standardize, got '${norm}'`);
    const svmOpts = { costs: costs ? svmCostList(costs) : undefined };
    return frozenBenchmark(encoders, train.loader, test.loader, {
      knn: task === 'knn' ? { k: ks, temperature: numberFlag(values.temperature, '--temperature', { min: 0 }) } : false,
      linear:
        task === 'linear'
          ? {
              epochs,
              lr,
              batchSize,
              seed,
              optimizer: opt as 'sgd' | 'lars' | undefined,
              norm: norm as 'none' | 'batchnorm' | 'standardize' | undefined,
            }
          : false,
      svm: task === 'svm' && !values['low-shot'] ? svmOpts : false,
      lowShot: task === 'svm' && values['low-shot'] ? { ...svmOpts, shots, samples, seed } : false,
      onStage: log,
      progress: progressBars,
    }) as Promise<Record<string, unknown>>;
  };

  const runs: Record<string, unknown>[] = [];
  for (let r = 0; r < repeat; r++) runs.push(await runOnce(seed0 + r));
  const results = (repeat === 1 ? runs[0] : aggregateRuns(runs)) as Record<string, unknown>;
  // The same labels go to every encoder: each distinct warning once, on stderr (the JSON has them per encoder).
  const warnings = new Set(Object.values(results).flatMap((r) => (r as { warnings?: string[] }).warnings ?? []));
  for (const w of warnings) console.error(`selfsup eval: warning: ${w}`);
  const mode = task === 'svm' && values['low-shot'] ? 'lowshot' : task;
  if (values.json) {
    printJson({
      task,
      train: describe.train,
      test: describe.test,
      ...(repeat > 1 ? { repeat, seeds: runs.map((_, r) => seed0 + r) } : {}),
      results,
    });
  } else {
    console.log(formatTable(mode, results));
  }
  return EXIT.OK;
}

/** A small text table: one row per encoder (per k for kNN, per shot count or label fraction), `mean ± std` when repeated. */
export function formatTable(task: string, results: Record<string, unknown>): string {
  const rows: string[] = [];
  const pct = (v: unknown) => `${formatMetric(v).padStart(6)}%`;
  for (const [name, r] of Object.entries(results) as [string, Record<string, unknown>][]) {
    if (task === 'knn' && r.knn) {
      for (const [k, acc] of Object.entries(r.knn as Record<string, Record<string, unknown>>))
        rows.push(`${name.padEnd(8)} k=${k.padEnd(4)} top-1 ${pct(acc.top1)}  top-5 ${pct(acc.top5)}`);
    } else if (task === 'lowshot' && r.lowShot) {
      const shots = (r.lowShot as { shots: Record<string, Record<string, Record<string, unknown>>> }).shots;
      for (const [k, s] of Object.entries(shots))
        rows.push(
          `${name.padEnd(8)} k=${k.padEnd(3)} mAP ${pct(s.mAP.mean)} (std over samples ${formatMetric(s.mAP.std)})  top-1 ${pct(s.top1.mean)}`,
        );
    } else if (task === 'svm' && r.svm) {
      const s = r.svm as Record<string, unknown>;
      rows.push(`${name.padEnd(8)} mAP ${pct(s.mAP)}  top-1 ${pct(s.top1)}`);
    } else if (task === 'semi') {
      for (const [p, acc] of Object.entries(r as Record<string, Record<string, unknown>>))
        rows.push(`${name.padEnd(8)} ${p.padEnd(4)} labels  top-1 ${pct(acc.top1)}  top-5 ${pct(acc.top5)}`);
    } else {
      const acc = (r.linear ?? r) as Record<string, unknown>;
      rows.push(`${name.padEnd(8)} top-1 ${pct(acc.top1)}  top-5 ${pct(acc.top5)}`);
    }
  }
  return rows.join('\n');
}
