/**
 * Online kNN monitor (as solo-learn and lightly run during pre-training): every `interval` epochs,
 * the backbone's pooled features of a labelled train and val set are compared with the weighted
 * kNN classifier (Wu et al. 2018, arXiv:1805.01978; k = 200, T = 0.1 as lightly reports) and
 * `knn_top1`/`knn_top5` are logged as val scalars (so `saveBest: 'knn_top1'` can keep the best
 * checkpoint). Runs on rank 0; images are decoded once per evaluation, without augmentation.
 */
import type { Dataset } from '../../data/datasets/base.js';
import { DataLoader } from '../../data/loader/loader.js';
import type { MultiView } from '../../data/transforms/multi-view.js';
import { embed2d } from '../../evaluation/embed.js';
import { backboneEncoder, extractFeatures } from '../../evaluation/features.js';
import { knnClassify, knnLabelWarnings } from '../../evaluation/knn.js';
import { definePart } from '../../core/registry.js';
import { posInt, posNum, typed, z } from '../../core/schema.js';
import type { DatasetConfig } from '../../part-configs.js';
import { HOOKS } from '../registries.js';
import { buildDataset } from '../build-data.js';
import { Hook, PRIORITY, type RunnerView } from './hook.js';

/** Online kNN accuracy on a labelled train/val pair every `interval` epochs (logged as `knn_top1`). */
export const knnMonitorSchema = z.strictObject({
  /** Epochs between evaluations. Default 1. */
  interval: posInt().optional(),
  /** The labelled bank (a dataset config, with its `pipeline`). */
  train: typed<DatasetConfig>(),
  /** The labelled queries. */
  val: typed<DatasetConfig>(),
  k: posInt().optional(),
  temperature: posNum().optional(),
  batchSize: posInt().optional(),
  /** Images that do not decode: `'skip'` leaves them out with a warning; default: `trainDataloader.onCorrupt`. */
  onCorrupt: z.enum(['error', 'skip']).optional(),
});
export type KnnMonitorOptions = z.input<typeof knnMonitorSchema>;

export class KnnMonitorHook extends Hook {
  override priority: number = PRIORITY.NORMAL;
  private loaders: { train: DataLoader; val: DataLoader } | null = null;
  /** Label warnings are printed once per run, not at every evaluation. */
  private warned = false;
  /** kNN top-1 after each evaluated epoch (for reports). */
  readonly history: { epoch: number; top1: number; top5: number }[] = [];
  /** t-SNE of the val features after the last epoch (for the report). */
  embedding: { coords: Float64Array; labels: number[]; classNames?: string[] } | null = null;

  constructor(readonly o: KnnMonitorOptions) {
    super();
  }

  private loader(ds: { dataset: Dataset; views: MultiView | undefined }): DataLoader {
    return new DataLoader(ds.dataset, {
      batchSize: this.o.batchSize ?? 256,
      views: ds.views,
      shuffle: false,
      onCorrupt: this.o.onCorrupt,
    });
  }

  override beforeRun(runner: RunnerView): void {
    if (runner.rank !== 0) return;
    const train = buildDataset(this.o.train, 'knnMonitor.train');
    const val = buildDataset(this.o.val, 'knnMonitor.val');
    if (!train.dataset.labels || !val.dataset.labels)
      throw new Error('knnMonitor: both datasets must be labelled (class folders or a labelled format)');
    this.loaders = { train: this.loader(train), val: this.loader(val) };
  }

  /** Features of both sets and the kNN accuracy of the current backbone. */
  async evaluate(runner: RunnerView, opts: { embed?: boolean } = {}): Promise<{ top1: number; top5: number }> {
    if (!this.loaders) throw new Error('KnnMonitorHook: evaluate() before beforeRun()');
    const encode = backboneEncoder(runner.model.backbone, runner.model.normalization);
    const train = await extractFeatures(encode, this.loaders.train);
    const val = await extractFeatures(encode, this.loaders.val);
    try {
      // A small labelled set has fewer neighbours than the configured k: use them all.
      const k = Math.min(this.o.k ?? 200, train.features.shape[0]);
      const r = knnClassify(train, val, { k: [k], temperature: this.o.temperature ?? 0.1 });
      if (!this.warned) {
        this.warned = true;
        for (const w of knnLabelWarnings(train.labels, val.labels)) console.warn(`selfsup: knnMonitor: ${w}`);
      }
      if (opts.embed) {
        const labels = Array.from(val.labels.toTypedArray() as ArrayLike<number | bigint>, Number);
        const e = embed2d(val.features, { method: 'tsne', seed: 0, maxPoints: 1000, labels });
        this.embedding = {
          coords: e.coords,
          labels: e.indices.map((i) => labels[i]),
          classNames: this.loaders.val.dataset.classes,
        };
      }
      return r[k];
    } finally {
      for (const t of [train.features, train.labels, train.indices, val.features, val.labels, val.indices]) t.dispose();
    }
  }

  override async afterTrainEpoch(runner: RunnerView): Promise<void> {
    if (runner.rank !== 0) return;
    const { epoch, maxEpochs } = runner.progress;
    const every = this.o.interval ?? 1;
    if ((epoch + 1) % every !== 0 && epoch + 1 !== maxEpochs) return;
    const acc = await this.evaluate(runner, { embed: epoch + 1 === maxEpochs });
    this.history.push({ epoch: epoch + 1, ...acc });
    runner.logScalars({ knn_top1: acc.top1, knn_top5: acc.top5 }, { kind: 'val' });
  }

  override stateDict(): Record<string, unknown> {
    return { history: this.history };
  }

  override loadStateDict(s: Record<string, unknown>): void {
    if (Array.isArray(s.history)) this.history.splice(0, this.history.length, ...(s.history as KnnMonitorHook['history']));
  }
}

export const knnMonitorHookPart = definePart({
  registry: HOOKS,
  name: 'KnnMonitorHook',
  schema: knnMonitorSchema,
  description: 'online weighted kNN accuracy of the backbone on a labelled train/val pair (knn_top1)',
  build: (o) => new KnnMonitorHook(o),
});
