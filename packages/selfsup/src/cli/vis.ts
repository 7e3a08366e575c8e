/**
 * `selfsup vis tsne|umap`: a 2-D embedding of a backbone's features coloured by label, as PNG or
 * SVG; `selfsup vis recon`: a masked-image-modelling model's reconstructions as a PNG grid.
 */
import { writeFileSync } from 'node:fs';
import { Progress } from '../core/progress.js';
import { EMBED_ITERATIONS, embed2d } from '../evaluation/embed.js';
import { extractFeatures } from '../evaluation/features.js';
import { encoderFor, evalLoader } from '../engine/model-source.js';
import { importUserModules } from '../core/user-modules.js';
import { scatterChart, svgToPng } from '../visualization/charts.js';
import { hasSplit } from '../data/holdout.js';
import { corruptFlag, EXIT, numberFlag, printJson, UsageError } from './args.js';
import { type CommandSpec, defineCommand, runCommand, type Values } from './command.js';
import { visRecon } from './vis-recon.js';

export const VIS_USAGE = `usage: selfsup vis <tsne|umap> [model] --data PATH [--out embedding.png|.svg] [options]
       selfsup vis recon [model] --images PATH [--out recon.png] [--num N] [--seed N]

model: --checkpoint CKPT | --config CFG [--weights W.pth] [--random] | --pixels (tsne/umap)
data (tsne/umap): the labelled images of --data's --split S (default test: its test split). For data
         without a test split, --split train plots all of it, and --test-fraction F plots the
         class-balanced hold-out that \`eval --test-fraction F\` tests on with the same --seed
         (--force-split takes the hold-out even where the data has a test split).
options: --size N  --stage I  --max-points N (class-balanced, default 2000)  --seed N
         --perplexity P (t-SNE)  --on-corrupt error|skip (default: fail; recon: the config's)  --import FILE  --json
         --title TEXT (tsne/umap chart title; default "t-SNE of <dataset>"; a long one wraps or loses its middle)

recon: N images (default 8) from PATH (any dataset --data takes), picked and masked by --seed, each
row: original | masked | reconstruction | reconstruction + visible patches. Needs a masked-image-
modelling model (MAE, SimMIM, …); masks come from the model or its config's pipeline.
`;

const OPTIONS = {
  checkpoint: { type: 'string' },
  config: { type: 'string' },
  weights: { type: 'string' },
  random: { type: 'boolean' },
  pixels: { type: 'boolean' },
  data: { type: 'string' },
  split: { type: 'string' },
  'test-fraction': { type: 'string', number: { positive: true } },
  'force-split': { type: 'boolean' },
  size: { type: 'string', number: { integer: true, min: 1 } },
  stage: { type: 'string', number: { integer: true } },
  'max-points': { type: 'string', number: { integer: true, min: 2 } },
  seed: { type: 'string', number: { integer: true, min: 0 } },
  perplexity: { type: 'string', number: { min: 1 } },
  'on-corrupt': { type: 'string' },
  out: { type: 'string' },
  title: { type: 'string' },
  images: { type: 'string' },
  num: { type: 'string', number: { integer: true, min: 1 } },
  import: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

const SUMMARIES = {
  tsne: "t-SNE plot of a backbone's features",
  umap: "UMAP plot of a backbone's features",
  recon: "a masked-image-modelling model's reconstructions",
};

export const VIS = defineCommand({
  name: 'vis',
  summary: "t-SNE or UMAP plot of a backbone's features; MIM reconstructions",
  usage: VIS_USAGE,
  subcommands: (['tsne', 'umap', 'recon'] as const).map((method) =>
    defineCommand({
      name: method,
      summary: SUMMARIES[method],
      usage: VIS_USAGE,
      options: OPTIONS,
      cfgOptions: true,
      run: (values, _args, cfgOptions) => {
        if (method !== 'recon') return embedding(method, values, cfgOptions);
        // The reconstruction grid is a picture without a chart title.
        if (values.title !== undefined) throw new UsageError('--title is for the tsne/umap charts, not recon');
        return recon(values, cfgOptions);
      },
    }),
  ) as CommandSpec[],
});

/** Runs `selfsup vis <argv>`; returns the exit code. */
export const vis = (argv: string[]): Promise<number> => runCommand(VIS, argv);

async function embedding(method: 'tsne' | 'umap', values: Values<typeof OPTIONS>, cfgOptions: string[]): Promise<number> {
  if (!values.data) throw new UsageError('--data is required');
  if (!values.pixels && !values.checkpoint && !values.config) throw new UsageError('pass --checkpoint, --config or --pixels');
  const out = values.out ?? `${method}.png`;
  if (!/\.(png|svg)$/.test(out)) throw new UsageError('--out must end in .png or .svg');
  await importUserModules(values.import ?? []);
  const seed = numberFlag(values.seed, '--seed', { integer: true, min: 0 }) ?? 0;
  const { dataset, loader } = await evalLoader({
    path: values.data,
    ...visSplit(values.data, values.split, values['test-fraction'], values['force-split']),
    seed,
    size: numberFlag(values.size, '--size', { integer: true, min: 1 }),
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
  });
  const bar = new Progress('features', dataset.length);
  const f = await extractFeatures(encoder, loader, { onProgress: ({ done, total }) => bar.update(done, undefined, total) });
  bar.done();
  try {
    const labels = Array.from(f.labels.toTypedArray() as ArrayLike<number | bigint>, Number);
    // Started before the call: the first iteration also holds t-SNE's perplexity search (UMAP's graph).
    const embedBar = new Progress(method === 'tsne' ? 't-SNE' : 'UMAP', EMBED_ITERATIONS[method]);
    let e: ReturnType<typeof embed2d>;
    try {
      e = embed2d(f.features, {
        onIteration: ({ done, total }) => embedBar.update(done, undefined, total),
        method,
        seed,
        perplexity: numberFlag(values.perplexity, '--perplexity', { min: 1 }),
        maxPoints: numberFlag(values['max-points'], '--max-points', { integer: true, min: 2 }) ?? 2000,
        labels,
      });
    } finally {
      embedBar.done();
    }
    const n = e.indices.length;
    const x = Float64Array.from({ length: n }, (_, i) => e.coords[2 * i]);
    const y = Float64Array.from({ length: n }, (_, i) => e.coords[2 * i + 1]);
    const svg = scatterChart(
      { x, y, label: e.indices.map((i) => labels[i]) },
      { classNames: dataset.classes, title: values.title ?? `${method === 'tsne' ? 't-SNE' : 'UMAP'} of ${dataset.describe()}` },
    );
    writeFileSync(out, out.endsWith('.svg') ? svg : await svgToPng(svg));
    if (values.json) printJson({ out, points: n, method });
    // What was written, a note: stderr (the stream rule; --json puts the result on stdout).
    else console.error(`selfsup vis: ${n} points → ${out}`);
  } finally {
    for (const t of [f.features, f.labels, f.indices]) t.dispose();
  }
  return EXIT.OK;
}

/**
 * The images a t-SNE/UMAP plot shows: `--split` (default test), or with `--test-fraction F` the
 * hold-out `eval --test-fraction F` tests on (same seed), refused as eval refuses it.
 */
function visSplit(
  path: string,
  split: string | undefined,
  rawFraction: string | undefined,
  force: boolean | undefined,
): { split: string; holdout?: { fraction: number; part: 'test' } } {
  if (rawFraction === undefined) {
    if (force) throw new UsageError('--force-split goes with --test-fraction');
    const s = split ?? 'test';
    if (!hasSplit(path, s))
      throw new UsageError(
        `${path} has no '${s}' split: pass --split train to plot all of it, or --test-fraction F for the hold-out eval tests on`,
      );
    return { split: s };
  }
  const fraction = numberFlag(rawFraction, '--test-fraction', { min: 0 }) as number;
  if (!(fraction > 0 && fraction < 1))
    throw new UsageError(`--test-fraction: expected a fraction in (0, 1), got '${rawFraction}'`);
  if (split !== undefined)
    throw new UsageError('--test-fraction holds out part of the training data: it does not go with --split');
  if (!force && hasSplit(path, 'test'))
    throw new UsageError(`${path} has a test split: plot it (drop --test-fraction), or pass --force-split to plot the hold-out`);
  return { split: 'train', holdout: { fraction, part: 'test' } };
}

async function recon(
  values: {
    checkpoint?: string;
    config?: string;
    weights?: string;
    random?: boolean;
    images?: string;
    data?: string;
    split?: string;
    num?: string;
    seed?: string;
    out?: string;
    'on-corrupt'?: string;
    import?: string[];
    json?: boolean;
  },
  cfgOptions: string[],
): Promise<number> {
  const images = values.images ?? values.data;
  if (!images) throw new UsageError('vis recon needs --images');
  if (!values.checkpoint && !values.config) throw new UsageError('vis recon: pass --checkpoint or --config');
  const out = values.out ?? 'recon.png';
  if (!out.endsWith('.png')) throw new UsageError('--out must end in .png');
  await importUserModules(values.import ?? []);
  const r = await visRecon({
    model: { checkpoint: values.checkpoint, config: values.config, weights: values.weights, random: values.random, cfgOptions },
    images,
    split: values.split,
    num: numberFlag(values.num, '--num', { integer: true, min: 1 }),
    seed: numberFlag(values.seed, '--seed', { integer: true, min: 0 }),
    onCorrupt: corruptFlag(values['on-corrupt']),
    out,
  });
  if (values.json) printJson(r);
  else
    console.error(`selfsup vis recon: ${r.images} images, ${(100 * r.maskedFraction).toFixed(1)}% of pixels masked → ${r.out}`);
  return EXIT.OK;
}
