/**
 * `selfsup browse-dataset`: writes a PNG grid of original images next to their augmented views
 * (MMSelfSup's tools/analysis_tools/browse_dataset.py), to check a pipeline by eye.
 */
import '../builtins.js';
import { writeFileSync } from 'node:fs';
import { augmentationGrid } from '../data/browse.js';
import type { CorruptPolicy } from '../data/pick-samples.js';
import type { Dataset } from '../data/datasets/base.js';
import { openDataset } from '../data/open.js';
import { buildViews } from '../data/register.js';
import { buildDataset } from '../engine/build-data.js';
import { prepareConfig } from '../engine/config/prepare.js';
import { resolveConfigArg } from './config-arg.js';
import { importUserModules } from '../core/user-modules.js';
import { EXIT, numberFlag, UsageError } from './args.js';
import { defineCommand, runCommand, type Values } from './command.js';
import type { MultiView } from '../data/transforms/multi-view.js';
import { beitV2Views, byolViews, maeViews, mocoV2Views, simclrViews, simmimViews, swavViews } from '../engine/config/recipes.js';
import type { MultiViewConfig } from '../part-configs.js';

/** The ready-made recipes by name, at a given crop size: the config helpers' views (what configs use). */
export const RECIPES: Record<string, (size: number) => MultiViewConfig> = {
  simclr: (size) => simclrViews({ size }),
  mocov2: (size) => mocoV2Views({ size }),
  byol: (size) => byolViews({ size }),
  swav: (size) => swavViews({ size, smallSize: Math.max(1, Math.round((size * 96) / 224)) }),
  mae: (size) => maeViews({ size }),
  simmim: (size) => simmimViews({ size }),
  beitv2: (size) => beitV2Views({ size }),
};

const USAGE = `usage: selfsup browse-dataset [<config>] [--data <path>] [options]

Writes a PNG grid: each row one image, then its augmented views. With a config, its
trainDataloader dataset and pipeline (--data replaces the dataset, keeping the pipeline); without
one, --data with a ready-made --pipeline.

options:
  --data <path>       dataset: image folder, image list, .tar(.gz) of images, CIFAR, MNIST, STL-10
  --split <name>      split where the dataset has them (default train)
  --pipeline <name>   ${Object.keys(RECIPES).join(' | ')} (default simclr; without a config)
  --size <px>         crop size of the views (default 224; without a config)
  --cfg-options K=V   override config values (trainDataloader.dataset.pipeline.numViews=4)
  --import FILE       load a module that registers custom parts (repeatable)
  --n <k>             rows (default 8)
  --seed <s>          picks the images and their augmentations (default 0)
  --scale <f>         enlargement of the views in the grid (default: up to ~128 px cells)
  --out <file.png>    output file (default browse-dataset.png)
  -h, --help          this help
`;

const OPTIONS = {
  data: { type: 'string' },
  split: { type: 'string' },
  pipeline: { type: 'string' },
  size: { type: 'string', number: { integer: true, min: 1 } },
  import: { type: 'string', multiple: true },
  n: { type: 'string', number: { integer: true, min: 1 } },
  seed: { type: 'string', number: { integer: true, min: 0 } },
  scale: { type: 'string', number: { positive: true } },
  out: { type: 'string', default: 'browse-dataset.png' },
} as const;

/** The dataset and views to show: a config's (optionally on --data), or --data with a recipe. */
async function source(
  config: string | undefined,
  values: { data?: string; split?: string; pipeline?: string; size?: string; import?: string[] },
  cfgOptions: string[],
): Promise<{ views: MultiView; dataset: () => Promise<Dataset>; onCorrupt?: CorruptPolicy }> {
  const fromData = () => openDataset({ path: values.data as string, split: values.split });
  if (config === undefined) {
    if (values.data === undefined) throw new UsageError('--data <path> or a config is required');
    if (cfgOptions.length > 0) throw new UsageError('--cfg-options needs a config');
    const size = numberFlag(values.size, '--size', { integer: true, min: 1 }) ?? 224;
    const name = values.pipeline ?? 'simclr';
    const recipe = RECIPES[name];
    if (!recipe) throw new UsageError(`unknown --pipeline '${name}' (expected ${Object.keys(RECIPES).join(', ')})`);
    try {
      return { views: buildViews(recipe(size), `--pipeline ${name}`), dataset: fromData };
    } catch (e) {
      throw new UsageError(`--pipeline ${name} at --size ${size}: ${(e as Error).message}`);
    }
  }
  if (values.pipeline !== undefined || values.size !== undefined)
    throw new UsageError('--pipeline and --size are for --data without a config (the config has its pipeline)');
  await importUserModules(values.import ?? []);
  const cfg = prepareConfig(resolveConfigArg(config), cfgOptions);
  const dsCfg = cfg.trainDataloader.dataset;
  if (dsCfg.pipeline === undefined) throw new UsageError(`${config}: trainDataloader.dataset has no pipeline to show`);
  const views = buildViews(dsCfg.pipeline, 'trainDataloader.dataset.pipeline');
  return {
    views,
    dataset: async () => (values.data !== undefined ? fromData() : buildDataset(dsCfg, 'trainDataloader.dataset').dataset),
    // The grid shows what training sees: images the config skips are skipped here too.
    onCorrupt: cfg.trainDataloader.onCorrupt,
  };
}

export const BROWSE_DATASET = defineCommand({
  name: 'browse-dataset',
  summary: 'a PNG grid of images next to their augmented views',
  usage: USAGE,
  args: '[config]',
  options: OPTIONS,
  cfgOptions: true,
  run: runBrowse,
});

/** Runs the command; returns the exit code (0 ok, 1 failure, 2 usage error). */
export const browseDataset = (argv: string[]): Promise<number> => runCommand(BROWSE_DATASET, argv);

async function runBrowse(values: Values<typeof OPTIONS>, positionals: string[], cfgOptions: string[]): Promise<number> {
  const n = numberFlag(values.n, '--n', { integer: true, min: 1 }) ?? 8;
  const seed = numberFlag(values.seed, '--seed', { integer: true, min: 0 }) ?? 0;
  const scale = numberFlag(values.scale, '--scale', { min: Number.MIN_VALUE });
  const out = values.out as string;
  const { views, dataset, onCorrupt } = await source(positionals[0], values, cfgOptions);
  const ds = await dataset();
  const png = await augmentationGrid(ds, views, { n, seed, scale, onCorrupt });
  writeFileSync(out, png);
  console.error(
    `selfsup browse-dataset: wrote ${out} (${Math.min(n, ds.length)} rows × ${1 + views.totalViews} columns, ${ds.describe()})`,
  );
  return EXIT.OK;
}
