/**
 * `selfsup demo`: the main job end to end on a fresh machine, offline, on CPU. Pre-trains a
 * CPU-sized SimCLR (configs/simclr/…_fashion-mnist.ts) on Fashion-MNIST from Debian's
 * dataset-fashion-mnist within a time budget, then benchmarks the backbone against the same
 * architecture randomly initialised and against raw pixels with kNN and a linear probe, and
 * writes the checkpoint and report.html. `--data <folder>` runs the same on your own images.
 */
import '../builtins.js';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '@selfsup/torch';
import { prepareConfig } from '../engine/config/prepare.js';
import type { Config } from '../engine/config/config.js';
import { describeHookSeconds, fitToSeconds, PROBE_ITERS, scheduleIters, stretchEpochs } from '../engine/fit-schedule.js';
import { writeRunReport } from '../engine/run-report.js';
import { Runner } from '../engine/runner.js';
import { frozenBenchmark, type FrozenResult } from '../evaluation/benchmark.js';
import { modelEncoder } from '../engine/model-source.js';
import { pixelEncoder } from '../evaluation/features.js';
import { EMBED_ITERATIONS, embed2d } from '../evaluation/embed.js';
import { Progress, progressBars } from '../core/progress.js';
import type { ReportExtras } from '../evaluation/report.js';
import { buildDataset } from '../engine/build-data.js';
import { DataLoader } from '../data/loader/loader.js';
import type { TypedConfig } from '../core/registry.js';
import type { PipelineStepConfig } from '../part-configs.js';
import { EXIT, numberFlag, printJson, UsageError } from './args.js';
import { defineCommand, runCommand, type Values } from './command.js';
import { CONFIG_DIR } from './list.js';
import { resolveConfigArg } from './config-arg.js';
import { ALGORITHMS } from '../models/registries.js';
import { DATASETS } from '../data/registries.js';

export const DEMO_CONFIG = 'simclr/simclr_resnet18-w025_1xb128-coslr-3e_fashion-mnist.ts';

export const DEMO_USAGE = `usage: selfsup demo [--data FOLDER] [--minutes M] [--work-dir DIR] [--json] [--quiet]

Pre-trains a small SimCLR on Fashion-MNIST (or your images with --data) for at most --minutes
(default 4.5), then compares kNN and linear-probe accuracy of the learned backbone with the same
backbone randomly initialised and with raw pixels. Writes the checkpoint and report.html.

  --data FOLDER     your images: class sub-folders (labelled; evaluated on a held-out 20 %) or a
                    flat folder (unlabeled; pre-training only). The schedule is sized to the
                    images in epochs (at least 200 iterations) before it is fitted to --minutes;
                    a warning says when too few images or iterations leave little to learn
  --size N          image size for --data (default 64)
  --config FILE     another config to pre-train with
  --eval-samples N  images per split for the evaluation (default 10000)
`;

const OPTIONS = {
  data: { type: 'string' },
  size: { type: 'string', number: { integer: true, min: 8 } },
  minutes: { type: 'string', number: { min: 0.05 } },
  config: { type: 'string' },
  'work-dir': { type: 'string' },
  'eval-samples': { type: 'string', number: { integer: true, min: 10 } },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

export const DEMO = defineCommand({
  name: 'demo',
  summary: 'train a small model on Fashion-MNIST and report its accuracy (CPU)',
  usage: DEMO_USAGE,
  options: OPTIONS,
  cfgOptions: true,
  run: runDemo,
});

/** Runs `selfsup demo <argv>`; returns the exit code. */
export const demo = (argv: string[]): Promise<number> => runCommand(DEMO, argv);

async function runDemo(values: Values<typeof OPTIONS>, _args: string[], cfgOptions: string[]): Promise<number> {
  const t0 = performance.now();
  const minutes = numberFlag(values.minutes, '--minutes', { min: 0.05 }) ?? 4.5;
  const evalSamples = numberFlag(values['eval-samples'], '--eval-samples', { integer: true, min: 10 }) ?? 10000;
  const workDir = resolve(values['work-dir'] ?? 'work_dirs/demo');
  const say = (m: string) => {
    // Status: stderr (stdout carries the results table and --json).
    if (!values.quiet) console.error(m);
  };

  let cfg = prepareConfig(values.config ? resolveConfigArg(values.config) : join(CONFIG_DIR, DEMO_CONFIG), cfgOptions);
  cfg.expName = 'demo';
  cfg.customHooks = [...(cfg.customHooks ?? []), { type: 'TimeBudgetHook', seconds: minutes * 60 }];
  let datasetName = 'Fashion-MNIST';
  let evalData: { train: TypedConfig; test: TypedConfig } | null = {
    train: { type: 'FashionMNIST', split: 'train', numSamples: evalSamples, seed: 0 },
    test: { type: 'FashionMNIST', split: 'test', numSamples: Math.min(evalSamples, 10000), seed: 0 },
  };
  if (values.data) {
    ({ datasetName, evalData } = useOwnData(
      cfg,
      values.data,
      numberFlag(values.size, '--size', { integer: true, min: 8 }) ?? 64,
    ));
    cfg = sizeScheduleToData(cfg, say);
  }

  say(
    `selfsup demo: ${cfg.model.type} on ${datasetName} for at most ${minutes} min on ${torch.getNumThreads()} CPU threads (libtorch ${torch.version})`,
  );
  // On a machine too slow for the recipe in the budget, the schedule is compressed to fit (so the
  // lr still warms up and anneals) instead of being cut off; a fast machine keeps the recipe.
  say(`timing ${PROBE_ITERS} iterations to check that the recipe fits the budget…`);
  const fit = await fitToSeconds(cfg, minutes * 60);
  if (fit.maxIters < scheduleIters(cfg, fit.itersPerEpoch)) {
    const prepared = cfg;
    cfg = fit.cfg;
    say(
      `schedule fitted to the budget: ${fit.maxIters} iterations at ${fit.secondsPerIter.toFixed(2)} s each${describeHookSeconds(fit)} ` +
        `(the recipe has ${scheduleIters(prepared, fit.itersPerEpoch)})`,
    );
  }
  const runner = new Runner(cfg, { workDir, quiet: values.quiet });
  const trained = await runner.train();
  say(
    `pre-training: ${trained.iters} iterations in ${trained.seconds.toFixed(0)} s${trained.stopped ? ` (${trained.stopped})` : ''}`,
  );
  if (trained.iters < DEMO_MIN_ITERS)
    console.warn(
      `selfsup demo: warning: only ${trained.iters} iterations trained (fewer than ${DEMO_MIN_ITERS}): too few to learn ` +
        'useful features; expect the backbone near its random initialisation (give more --minutes)',
    );
  if (trained.interrupted) {
    say(`interrupted; the checkpoint ${trained.checkpoint} resumes with: selfsup train ${join(workDir, 'config.json')} --resume`);
    writeFileSync(join(workDir, 'config.json'), `${JSON.stringify({ ...cfg, workDir }, null, 2)}\n`);
    return EXIT.FAILURE;
  }
  writeFileSync(join(workDir, 'config.json'), `${JSON.stringify({ ...cfg, workDir }, null, 2)}\n`);

  let evaluation: Record<string, Record<string, FrozenResult>> | null = null;
  let tsne: ReportExtras['tsne'];
  let tsneSeconds = 0;
  // k = 200 neighbours (lightly's protocol), or every training image of a smaller set.
  let knnK = 200;
  let testCount = 0;
  const tEval = performance.now();
  if (evalData) {
    const build = (c: TypedConfig, path: string) => {
      const { dataset, views } = buildDataset(c, path);
      return new DataLoader(dataset, { batchSize: 256, shuffle: false, views });
    };
    const train = build(evalData.train, 'demo.eval.train');
    knnK = Math.min(200, train.dataset.length);
    const test = build(evalData.test, 'demo.eval.test');
    testCount = test.dataset.length;
    torch.manualSeed(cfg.randomness?.seed ?? 0);
    const random = ALGORITHMS.build(cfg.model, 'model');
    const encoders = {
      ssl: modelEncoder(runner.model),
      random: modelEncoder(random),
      pixels: pixelEncoder(runner.model.normalization),
    };
    const r = await frozenBenchmark(encoders, train, test, {
      knn: { k: [knnK], temperature: 0.1 },
      linear: { epochs: 50, batchSize: 256, lr: 0.1, norm: 'batchnorm', weightDecay: 0 },
      onStage: (m) => say(`evaluation: ${m}`),
      progress: values.quiet ? undefined : progressBars,
      // The report's t-SNE of the learned features on held-out images; exact t-SNE is O(N²) per
      // iteration, so at most 1,000 of them (class-balanced), about 7 s of one core.
      onTestFeatures: (name, te) => {
        // t-SNE needs a few points; a tiny held-out split of --data gets none.
        if (name !== 'ssl' || te.features.shape[0] < DEMO_TSNE_MIN_POINTS) return;
        say('evaluation: ssl: t-SNE of the test features');
        const t = performance.now();
        const labels = Array.from(te.labels.toTypedArray() as ArrayLike<number | bigint>, Number);
        const bar = values.quiet ? null : new Progress('t-SNE', EMBED_ITERATIONS.tsne);
        let e: ReturnType<typeof embed2d>;
        try {
          e = embed2d(te.features, {
            method: 'tsne',
            seed: 0,
            maxPoints: DEMO_TSNE_POINTS,
            labels,
            onIteration: ({ done, total }) => bar?.update(done, undefined, total),
          });
        } finally {
          bar?.done();
        }
        tsne = { coords: e.coords, labels: e.indices.map((i) => labels[i]), classNames: test.dataset.classes };
        tsneSeconds = (performance.now() - t) / 1000;
      },
    });
    evaluation = { results: r };
  }
  const seconds = (performance.now() - t0) / 1000;
  const report = await writeRunReport(runner, trained, {
    evaluation: evaluation ? tableOf(evaluation.results, knnK) : undefined,
    timings: { evaluation: (performance.now() - tEval) / 1000, ...(tsne ? { 't-SNE': tsneSeconds } : {}), total: seconds },
    tsne,
  });

  // The results (table, where things are): stdout, unless --json puts its object there alone.
  const show = (m: string) => {
    if (values.json) say(m);
    else if (!values.quiet) console.log(m);
  };
  if (evaluation) {
    const r = evaluation.results;
    const row = (name: string, label: string) =>
      `  ${label.padEnd(22)} ${pct(r[name].knn?.[knnK]?.top1)}   ${pct(r[name].linear?.top1)}`;
    show(`\n${datasetName}: top-1 accuracy on ${testCount} held-out images (kNN k=${knnK}, T=0.1; linear probe 50 epochs)`);
    show(`  ${''.padEnd(22)}    kNN     linear`);
    show(row('ssl', `${cfg.model.type} backbone`));
    show(row('random', 'random init backbone'));
    show(row('pixels', 'raw pixels'));
  } else {
    show('\nno labels in your data: pre-training only (add class sub-folders to get kNN and linear-probe numbers)');
  }
  show(`\ncheckpoint: ${trained.checkpoint}`);
  show(`report:     ${report}`);
  show('next:');
  show(`  selfsup eval linear --checkpoint ${workDir} --train-data <labelled folder> --baselines`);
  show('  selfsup demo --data <your image folder>      (the same on your own images)');
  show('  selfsup list configs                         (every algorithm; selfsup train <config>)');
  if (values.json) {
    const r = evaluation?.results;
    printJson({
      dataset: datasetName,
      algorithm: cfg.model.type,
      seconds,
      knn: r ? { ssl: r.ssl.knn?.[knnK]?.top1, random: r.random.knn?.[knnK]?.top1, pixels: r.pixels.knn?.[knnK]?.top1 } : null,
      linear: r ? { ssl: r.ssl.linear?.top1, random: r.random.linear?.top1, pixels: r.pixels.linear?.top1 } : null,
    });
  }
  return EXIT.OK;
}

/** Test images the report's t-SNE embeds at most, and at least (fewer: no t-SNE). */
export const DEMO_TSNE_POINTS = 1000;
const DEMO_TSNE_MIN_POINTS = 3;

/** Iterations below which a pre-training run has not learned much (the demo warns below it). */
export const DEMO_MIN_ITERS = 200;

/**
 * For --data: the recipe (three epochs of Fashion-MNIST at batch 128 with a 50-iteration warm-up)
 * run for as many epochs of the user's images as make at least DEMO_MIN_ITERS iterations, so a
 * small folder does not end inside the warm-up; the time budget may still compress it.
 */
function sizeScheduleToData(cfg: Config, say: (m: string) => void): Config {
  const { dataset } = buildDataset(cfg.trainDataloader.dataset, 'trainDataloader.dataset');
  const batch = cfg.trainDataloader.batchSize;
  const itersPerEpoch = Math.floor(dataset.length / batch);
  if (itersPerEpoch < 1) throw new UsageError(`--data: ${dataset.length} training images make no batch of ${batch}`);
  if (cfg.trainCfg.type === 'IterBasedTrainLoop') return cfg;
  const epochs = Math.max(cfg.trainCfg.maxEpochs as number, Math.ceil(DEMO_MIN_ITERS / itersPerEpoch));
  say(
    `schedule sized to your data: ${epochs} epochs × ${itersPerEpoch} iterations ` +
      `(${dataset.length} training images in batches of ${batch}; at least ${DEMO_MIN_ITERS} iterations)`,
  );
  return stretchEpochs(cfg, epochs);
}

const pct = (v: number | undefined) => (v === undefined ? '    -  ' : `${v.toFixed(2).padStart(6)}%`);

/** The report's evaluation tables: kNN and linear top-1/top-5 per encoder. */
function tableOf(r: Record<string, FrozenResult>, k: number): Record<string, unknown> {
  const pick = (f: (x: FrozenResult) => { top1: number; top5: number } | undefined) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, f(v) ? { top1: f(v)?.top1, top5: f(v)?.top5 } : {}]));
  return { [`kNN (k=${k}, T=0.1)`]: pick((x) => x.knn?.[k]), 'linear probe': pick((x) => x.linear) };
}

/** Points the config at the user's folder: RGB, `size` px, ImageNet statistics; a held-out 20 % when labelled. */
function useOwnData(
  cfg: Config,
  folder: string,
  size: number,
): { datasetName: string; evalData: { train: TypedConfig; test: TypedConfig } | null } {
  const probe = DATASETS.build({ type: 'ImageFolder', root: folder }, '--data');
  const labelled = probe.labels !== null && (probe.classes?.length ?? 0) > 1;
  const view: PipelineStepConfig[] = [
    { type: 'RandomResizedCrop', size, scale: [0.2, 1] },
    { type: 'RandomFlip', prob: 0.5 },
    {
      type: 'RandomApply',
      transforms: [{ type: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }],
      prob: 0.8,
    },
    { type: 'RandomGrayscale', prob: 0.2 },
  ];
  const split = (part: 'train' | 'val') => ({
    type: 'ImageFolder' as const,
    root: folder,
    valSplit: { fraction: 0.2, part, seed: 0 },
  });
  cfg.trainDataloader.dataset = {
    ...(labelled ? split('train') : { type: 'ImageFolder' as const, root: folder }),
    pipeline: { type: 'MultiView', numViews: 2, transforms: [view] },
  };
  const batch = Math.min(cfg.trainDataloader.batchSize, Math.max(2, Math.floor(probe.length / 2)));
  if (batch < cfg.trainDataloader.batchSize)
    console.warn(
      `selfsup demo: warning: ${probe.length} images are fewer than the recipe's batch of ${cfg.trainDataloader.batchSize}: ` +
        `batches of ${batch}; contrastive methods learn little from so few negatives (add images)`,
    );
  cfg.trainDataloader.batchSize = batch;
  const model = cfg.model as unknown as Record<string, unknown> & { backbone: Record<string, unknown> };
  model.backbone = { ...model.backbone, inChannels: 3 };
  model.dataPreprocessor = { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
  const evalPipe: PipelineStepConfig[] = [
    { type: 'Resize', size },
    { type: 'CenterCrop', size },
  ];
  if (!labelled) {
    cfg.knnMonitor = null;
    return { datasetName: folder, evalData: null };
  }
  const withPipe = (part: 'train' | 'val') => ({ ...split(part), pipeline: evalPipe });
  cfg.knnMonitor = { ...(cfg.knnMonitor ?? {}), interval: 1, train: withPipe('train'), val: withPipe('val') };
  return { datasetName: folder, evalData: { train: withPipe('train'), test: withPipe('val') } };
}
