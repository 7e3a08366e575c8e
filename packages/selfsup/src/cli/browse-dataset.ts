/**
 * `selfsup browse-dataset`: writes a PNG grid of original images next to their augmented views
 * (MMSelfSup's tools/analysis_tools/browse_dataset.py), to check a pipeline by eye.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { augmentationGrid } from '../data/browse.js';
import { openDataset } from '../data/open.js';
import {
  beitV2Pipeline,
  byolPipelines,
  maePipeline,
  MultiView,
  mocoV2Pipeline,
  simclrPipeline,
  simmimPipeline,
  swavMultiView,
} from '../data/transforms/pipelines.js';

/** The ready-made recipes by name, at a given crop size. */
export const RECIPES: Record<string, (size: number) => MultiView> = {
  simclr: (s) => new MultiView([simclrPipeline(s)], 2),
  mocov2: (s) => new MultiView([mocoV2Pipeline(s)], 2),
  byol: (s) => new MultiView(byolPipelines(s), [1, 1]),
  swav: (s) => swavMultiView(s, Math.max(1, Math.round((s * 96) / 224))),
  mae: (s) => new MultiView([maePipeline(s)], 1),
  simmim: (s) => new MultiView([simmimPipeline(s)], 1),
  beitv2: (s) => new MultiView([beitV2Pipeline(s)], 1),
};

const USAGE = `usage: selfsup browse-dataset --data <path> [options]

Writes a PNG grid: each row one image, then its augmented views.

options:
  --data <path>       dataset: image folder, image list, .tar(.gz) of images, CIFAR, MNIST, STL-10
  --split <name>      split where the dataset has them (default train)
  --pipeline <name>   ${Object.keys(RECIPES).join(' | ')} (default simclr)
  --size <px>         crop size of the views (default 224)
  --n <k>             rows (default 8)
  --seed <s>          picks the images and their augmentations (default 0)
  --scale <f>         enlargement of the views in the grid (default: up to ~128 px cells)
  --out <file.png>    output file (default browse-dataset.png)
  -h, --help          this help
`;

class UsageError extends Error {}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

/** Runs the command; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function browseDataset(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        split: { type: 'string' },
        pipeline: { type: 'string', default: 'simclr' },
        size: { type: 'string' },
        n: { type: 'string' },
        seed: { type: 'string' },
        scale: { type: 'string' },
        out: { type: 'string', default: 'browse-dataset.png' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`selfsup browse-dataset: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let size: number;
  let n: number;
  let seed: number;
  let scale: number | undefined;
  let views: MultiView;
  try {
    if (typeof values.data !== 'string') throw new UsageError('--data <path> is required');
    size = positiveInt('size', values.size as string | undefined, 224);
    n = positiveInt('n', values.n as string | undefined, 8);
    seed = values.seed === undefined ? 0 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${values.seed}'`);
    if (values.scale !== undefined) {
      scale = Number(values.scale);
      if (!(scale > 0)) throw new UsageError(`--scale must be a positive number, got '${values.scale}'`);
    }
    const recipe = RECIPES[values.pipeline as string];
    if (!recipe) throw new UsageError(`unknown --pipeline '${values.pipeline}' (expected ${Object.keys(RECIPES).join(', ')})`);
    try {
      views = recipe(size);
    } catch (e) {
      throw new UsageError(`--pipeline ${values.pipeline} at --size ${size}: ${(e as Error).message}`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`selfsup browse-dataset: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const ds = await openDataset({ path: values.data as string, split: values.split as string | undefined });
    const png = await augmentationGrid(ds, views, { n, seed, scale });
    const out = values.out as string;
    writeFileSync(out, png);
    console.log(
      `selfsup browse-dataset: wrote ${out} (${Math.min(n, ds.length)} rows × ${1 + views.totalViews} columns, ${ds.describe()})`,
    );
    return 0;
  } catch (e) {
    console.error(`selfsup browse-dataset: ${(e as Error).message}`);
    return 1;
  }
}
