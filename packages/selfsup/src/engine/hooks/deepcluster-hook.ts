/**
 * MMSelfSup's `DeepClusterHook` (Caron et al. 2018, "Deep Clustering for Unsupervised Learning of
 * Visual Features", arXiv:1807.05520, §3.2–3.3): at the start of training (`initial`) and every
 * `interval` epochs it extracts the features of the whole training set (the model in eval mode,
 * `extractDataloader`'s deterministic pipeline), PCA-whitens them to `pcaDim` dimensions,
 * ℓ2-normalises them, clusters them with k-means into `k` clusters (`niter` Lloyd iterations,
 * faiss's initialisation and empty-cluster splits, seeded by seed + epoch), gives every sample its
 * cluster as pseudo-label, optionally re-weights the loss (∝ 1/|cluster|^reweightPow) and makes the
 * training sampler uniform over clusters (`unifSampling`: a `DeepClusterSampler`), and
 * re-initialises the classifier.
 *
 * MMSelfSup clusters in `before_train` and `after_train_epoch`; here it happens at the start of the
 * epoch that would use the labels, which is the same schedule, and the labels are part of the hook's
 * checkpoint state, so a resumed run keeps them (mid-epoch) instead of clustering again.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { kmeans } from '../../analysis/kmeans.js';
import { preprocessFeatures } from '../../analysis/pca.js';
import { definePart } from '../../core/registry.js';
import { bool, int, nonNegNum, posInt, typed, z } from '../../core/schema.js';
import { DeepClusterSampler } from '../../data/loader/deepcluster-sampler.js';
import { DataLoader } from '../../data/loader/loader.js';
import { extractFeatures } from '../../evaluation/features.js';
import { type ClusteredAlgorithm, isClusteredAlgorithm } from '../../models/algorithms/deepcluster.js';
import type { DatasetConfig } from '../../part-configs.js';
import { buildDataset } from '../build-data.js';
import { HOOKS } from '../registries.js';
import { Hook, PRIORITY, type RunnerView } from './hook.js';

/** `DeepClusterHook` options (everything but `type`). */
export const deepClusterHookSchema = z.strictObject({
  /** The training images in a fixed order with a deterministic pipeline (Resize + CenterCrop). */
  extractDataloader: z.strictObject({
    dataset: typed<DatasetConfig>(),
    /** Default 128 (MMSelfSup's). */
    batchSize: posInt().optional(),
  }),
  /** MMSelfSup's `clustering=dict(type='Kmeans', k=10000, pca_dim=256)`. */
  clustering: z.strictObject({
    type: z.literal('Kmeans'),
    k: posInt(),
    /** Dimensions after the PCA whitening; −1 skips the PCA. Default 256. */
    pcaDim: int()
      .refine((v) => v === -1 || v >= 1, 'expected -1 or a positive integer')
      .optional(),
    /** Lloyd iterations. Default 20. */
    niter: posInt().optional(),
  }),
  /** Class-balanced sampling over the pseudo-labels. */
  unifSampling: bool(),
  /** Weight the loss per class by 1/|cluster|^reweightPow. */
  reweight: bool(),
  reweightPow: nonNegNum(),
  /** Cluster before the first epoch. Default true. */
  initial: bool().optional(),
  /** Epochs between clusterings. Default 1. */
  interval: posInt().optional(),
  /** Seeds k-means (plus the epoch). Default the run's seed is not known here: 0. */
  seed: int().optional(),
});
export type DeepClusterHookOptions = z.input<typeof deepClusterHookSchema>;

/** Cluster sizes of a clustering (MMSelfSup's `evaluate` log). */
export interface ClusterStats {
  epoch: number;
  empty: number;
  minSize: number;
  maxSize: number;
  objective: number;
}

export class DeepClusterHook extends Hook {
  override priority: number = PRIORITY.NORMAL;
  readonly k: number;
  readonly pcaDim: number;
  readonly niter: number;
  readonly interval: number;
  readonly initial: boolean;
  readonly seed: number;
  /** The pseudo-labels (by dataset index) and the epoch they were made for. */
  private state: { epoch: number; labels: number[] } | null = null;
  /** Whether the model and sampler hold `state`'s labels (false after a resume). */
  private applied = false;
  private extractLoader: DataLoader | null = null;
  /** One entry per clustering. */
  readonly history: ClusterStats[] = [];

  constructor(readonly o: DeepClusterHookOptions) {
    super();
    this.k = o.clustering.k;
    this.pcaDim = o.clustering.pcaDim ?? 256;
    this.niter = o.clustering.niter ?? 20;
    this.interval = o.interval ?? 1;
    this.initial = o.initial ?? true;
    this.seed = o.seed ?? 0;
  }

  /** The current pseudo-labels by dataset index (null before the first clustering). */
  get labels(): readonly number[] | null {
    return this.state?.labels ?? null;
  }

  private model(runner: RunnerView): ClusteredAlgorithm {
    const m = runner.model;
    if (!isClusteredAlgorithm(m))
      throw new TypeError(`DeepClusterHook: the model (${m.constructor.name}) does not take pseudo-labels (use DeepCluster)`);
    if (m.numClasses !== this.k)
      throw new RangeError(
        `DeepClusterHook: clustering.k = ${this.k} but the head has numClasses = ${m.numClasses}; they must be equal`,
      );
    return m;
  }

  override beforeRun(runner: RunnerView): void {
    this.model(runner);
    if (!runner.loader) throw new TypeError('DeepClusterHook: needs the runner’s training loader');
    const { dataset, views } = buildDataset(this.o.extractDataloader.dataset, 'DeepClusterHook.extractDataloader.dataset');
    const n = runner.loader.dataset.length;
    if (dataset.length !== n)
      throw new RangeError(
        `DeepClusterHook: extractDataloader.dataset has ${dataset.length} samples, the training dataset ${n}; ` +
          'it must be the training images in the same order',
      );
    this.extractLoader = new DataLoader(dataset, { batchSize: this.o.extractDataloader.batchSize ?? 128, views, shuffle: false });
  }

  override async beforeTrainEpoch(runner: RunnerView): Promise<void> {
    const epoch = runner.progress.epoch;
    const due = epoch === 0 ? this.initial : epoch % this.interval === 0;
    if (due && this.state?.epoch !== epoch) await this.cluster(runner, epoch);
    else if (this.state && !this.applied) this.apply(runner, this.state.labels);
  }

  override async afterRun(): Promise<void> {
    await this.extractLoader?.close();
  }

  /** Features → PCA-whitening → ℓ2 → k-means → pseudo-labels, re-weighting, sampler, new classifier. */
  async cluster(runner: RunnerView, epoch: number): Promise<ClusterStats> {
    const model = this.model(runner);
    const loader = this.extractLoader;
    if (!loader) throw new Error('DeepClusterHook: beforeRun has not run');
    const n = loader.dataset.length;
    const trainModel = runner.trainModel;
    const wasTraining = trainModel.training;
    trainModel.eval();
    let extracted: Awaited<ReturnType<typeof extractFeatures>>;
    try {
      extracted = await extractFeatures((images) => model.clusteringFeatures(images), loader);
    } finally {
      if (wasTraining) trainModel.train();
    }
    const { labels, stats } = torch.tidy(() => {
      try {
        if (extracted.indices.shape[0] !== n)
          throw new RangeError(
            `DeepClusterHook: features of ${extracted.indices.shape[0]} of the ${n} training images (undecodable images?)`,
          );
        // Rows in dataset-index order, whatever order the loader yielded them in.
        const feats = torch.ops.aten.index_copy(
          torch.zeros([n, extracted.features.shape[1]]),
          0,
          extracted.indices.cpu(),
          extracted.features.cpu(),
        );
        const x = preprocessFeatures(feats, this.pcaDim);
        const r = kmeans(x, { k: this.k, niter: this.niter, seed: this.seed + epoch, maxPointsPerCentroid: 10_000_000 });
        let lab: Tensor = r.labels;
        if (runner.worldSize > 1) torch.distributed.broadcast(lab, 0);
        const hist = torch.ops.aten.bincount(lab, null, this.k);
        const s: ClusterStats = {
          epoch,
          empty: hist.eq(0).sum().item(),
          minSize: hist.min().item(),
          maxSize: hist.max().item(),
          objective: r.objective,
        };
        lab = torch.keep(lab);
        return { labels: lab, stats: s };
      } finally {
        for (const t of Object.values(extracted)) t.dispose();
      }
    });
    try {
      const list = (labels.toList() as number[]).slice();
      this.state = { epoch, labels: list };
      this.apply(runner, list);
      if (this.o.reweight) model.setReweight(labels, this.o.reweightPow);
      model.reinitHead();
      if (runner.worldSize > 1) {
        const head = (runner.model as unknown as { head?: torch.nn.AnyModule }).head;
        if (head) for (const p of head.parameters()) torch.noGrad(() => torch.distributed.broadcast(p.detach(), 0));
      }
    } finally {
      labels.dispose();
    }
    this.history.push(stats);
    runner.logScalars({
      cluster_empty: stats.empty,
      cluster_min: stats.minSize,
      cluster_max: stats.maxSize,
      kmeans_objective: stats.objective,
    });
    return stats;
  }

  /** Gives the model its pseudo-labels and (with `unifSampling`) the loader a class-balanced sampler. */
  private apply(runner: RunnerView, labels: number[]): void {
    const model = this.model(runner);
    torch.tidy(() => model.assignLabels(torch.tensor(labels, { dtype: 'int64' })));
    if (this.o.unifSampling) {
      const loader = runner.loader;
      if (!loader) throw new TypeError('DeepClusterHook: unifSampling needs the runner’s training loader');
      const sampler = new DeepClusterSampler(labels.length, { rank: runner.rank, worldSize: runner.worldSize, seed: this.seed });
      sampler.setUniformIndices(labels, this.k);
      loader.setSampler(sampler);
    }
    this.applied = true;
  }

  override stateDict(): Record<string, unknown> {
    return this.state ? { epoch: this.state.epoch, labels: this.state.labels } : {};
  }

  override loadStateDict(state: Record<string, unknown>): void {
    const { epoch, labels } = state;
    if (epoch === undefined && labels === undefined) return;
    if (!Number.isInteger(epoch) || !Array.isArray(labels) || !labels.every((l) => Number.isInteger(l)))
      throw new TypeError('DeepClusterHook: the checkpoint’s hook state is not { epoch, labels: int[] }');
    this.state = { epoch: epoch as number, labels: labels as number[] };
    this.applied = false;
  }
}

export const deepClusterHookPart = definePart({
  registry: HOOKS,
  name: 'DeepClusterHook',
  schema: deepClusterHookSchema,
  description: 'DeepCluster: k-means pseudo-labels of the whole dataset every interval epochs, balanced sampler, new head',
  build: (o) => new DeepClusterHook(o),
});
