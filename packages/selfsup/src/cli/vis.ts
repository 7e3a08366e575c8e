/** `selfsup vis tsne|umap`: a 2-D embedding of a backbone's features coloured by label, as PNG or SVG. */
import { writeFileSync } from 'node:fs';
import { embed2d } from '../evaluation/embed.js';
import { extractFeatures } from '../evaluation/features.js';
import { encoderFor, evalLoader } from '../engine/model-source.js';
import { importUserModules } from '../core/user-modules.js';
import { scatterChart, svgToPng } from '../visualization/charts.js';
import { EXIT, numberFlag, parseCommand, printJson, UsageError } from './args.js';

export const VIS_USAGE = `usage: selfsup vis <tsne|umap> [model] --data PATH [--out embedding.png|.svg] [options]

model: --checkpoint CKPT | --config CFG [--weights W.pth] [--random] | --pixels
options: --split S  --size N  --stage I  --max-points N (class-balanced, default 2000)  --seed N
         --perplexity P (t-SNE)  --import FILE  --json
`;

export async function vis(argv: string[]): Promise<number> {
  const { values, positionals, cfgOptions } = parseCommand(
    argv,
    {
      checkpoint: { type: 'string' },
      config: { type: 'string' },
      weights: { type: 'string' },
      random: { type: 'boolean' },
      pixels: { type: 'boolean' },
      data: { type: 'string' },
      split: { type: 'string' },
      size: { type: 'string' },
      stage: { type: 'string' },
      'max-points': { type: 'string' },
      seed: { type: 'string' },
      perplexity: { type: 'string' },
      out: { type: 'string' },
      import: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    } as const,
    { positionals: true },
  );
  if (values.help) {
    console.log(VIS_USAGE);
    return EXIT.OK;
  }
  const method = positionals[0];
  if ((method !== 'tsne' && method !== 'umap') || positionals.length !== 1) throw new UsageError('vis needs tsne or umap');
  if (!values.data) throw new UsageError('--data is required');
  if (!values.pixels && !values.checkpoint && !values.config) throw new UsageError('pass --checkpoint, --config or --pixels');
  const out = values.out ?? `${method}.png`;
  if (!/\.(png|svg)$/.test(out)) throw new UsageError('--out must end in .png or .svg');
  await importUserModules(values.import ?? []);
  const { dataset, loader } = await evalLoader({
    path: values.data,
    split: values.split ?? 'test',
    size: numberFlag(values.size, '--size', { integer: true, min: 1 }),
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
  const f = await extractFeatures(encoder, loader);
  try {
    const labels = Array.from(f.labels.toTypedArray() as ArrayLike<number | bigint>, Number);
    const e = embed2d(f.features, {
      method,
      seed: numberFlag(values.seed, '--seed', { integer: true, min: 0 }) ?? 0,
      perplexity: numberFlag(values.perplexity, '--perplexity', { min: 1 }),
      maxPoints: numberFlag(values['max-points'], '--max-points', { integer: true, min: 2 }) ?? 2000,
      labels,
    });
    const n = e.indices.length;
    const x = Float64Array.from({ length: n }, (_, i) => e.coords[2 * i]);
    const y = Float64Array.from({ length: n }, (_, i) => e.coords[2 * i + 1]);
    const svg = scatterChart(
      { x, y, label: e.indices.map((i) => labels[i]) },
      { classNames: dataset.classes, title: `${method === 'tsne' ? 't-SNE' : 'UMAP'} of ${dataset.describe()}` },
    );
    writeFileSync(out, out.endsWith('.svg') ? svg : await svgToPng(svg));
    if (values.json) printJson({ out, points: n, method });
    else console.log(`selfsup vis: ${n} points → ${out}`);
  } finally {
    for (const t of [f.features, f.labels, f.indices]) t.dispose();
  }
  return EXIT.OK;
}
