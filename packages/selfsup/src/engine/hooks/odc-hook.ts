/**
 * MMSelfSup's `ODCHook` (Zhan et al. 2020, "Online Deep Clustering for Unsupervised Representation
 * Learning", arXiv:2006.10645) for the `ODC` algorithm, with the memory initialisation MMSelfSup's
 * ODC recipe gets from `DeepClusterHook(init_memory=True)`:
 *
 * - before training, unless the memory is already initialised (a resumed run): neck features
 *   `(L, D)` of every training image (`extractDataloader`: the images without augmentation, in
 *   eval mode), L2-normalised rows clustered by k-means into K clusters (`kmeansIters`, 20 as
 *   faiss), the memory filled, the loss re-weighted and the classifier re-initialised;
 * - after every `centroidsUpdateInterval` iterations the centroids become their members' means;
 * - after every `dealWithSmallClustersInterval` iterations the small clusters are re-assigned;
 * - after every iteration (with `reweight`) loss_weight ← normalised (1/n_c)^reweightPow;
 * - every `evaluateInterval` iterations the cluster-size histogram is logged (`empty_num`,
 *   `min_cluster`, `max_cluster`).
 */
import * as torch from '@selfsup/torch';
import { kmeans } from '../../analysis/kmeans.js';
import { definePart } from '../../core/registry.js';
import { bool, posInt, posNum, typed, z } from '../../core/schema.js';
import { DataLoader } from '../../data/loader/loader.js';
import { extractFeatures } from '../../evaluation/features.js';
import type { Algorithm } from '../../models/algorithms/base.js';
import { ODC } from '../../models/algorithms/odc.js';
import type { DatasetConfig } from '../../part-configs.js';
import { buildDataset } from '../build-data.js';
import { HOOKS } from '../registries.js';
import { Hook, type IterOutputs, type RunnerView } from './hook.js';

/** `ODCHook` options (MMSelfSup's, camelCased, plus the memory initialisation). */
export const odcHookSchema = z.strictObject({
  centroidsUpdateInterval: posInt(),
  dealWithSmallClustersInterval: posInt(),
  evaluateInterval: posInt(),
  reweight: bool(),
  reweightPow: posNum(),
  /** MMSelfSup's flag (it refuses non-distributed runs); accepted, both work here. */
  distMode: bool().optional(),
  /** The images the memory is initialised from (the training set, unaugmented): MMSelfSup's DeepClusterHook `extract_dataloader`. */
  extractDataloader: z
    .strictObject({
      dataset: typed<DatasetConfig>(),
      batchSize: posInt().optional(),
    })
    .optional(),
  /** Lloyd iterations of the initial k-means. Default 20. */
  kmeansIters: posInt().optional(),
});
export type ODCHookOptions = z.input<typeof odcHookSchema>;

function odcOf(m: Algorithm): ODC {
  if (!(m instanceof ODC)) throw new TypeError(`ODCHook: the model is ${m.constructor.name}, not ODC`);
  return m;
}

export class ODCHook extends Hook {
  constructor(readonly o: ODCHookOptions) {
    super();
  }

  override async beforeRun(runner: RunnerView): Promise<void> {
    const model = odcOf(runner.model);
    if (model.memoryBank.initialized) return;
    const ex = this.o.extractDataloader;
    if (!ex)
      throw new Error(
        'ODCHook: the ODC memory is not initialised: set extractDataloader (the training images; their features are clustered) or resume from an ODC checkpoint',
      );
    await initMemory(model, ex.dataset, { batchSize: ex.batchSize ?? 128, iters: this.o.kmeansIters ?? 20 });
    if (this.o.reweight) model.setReweight(this.o.reweightPow);
    this.log(runner, model);
  }

  override afterTrainIter(runner: RunnerView, _out: IterOutputs): void {
    const model = odcOf(runner.model);
    const done = runner.progress.iter + 1;
    if (done % this.o.centroidsUpdateInterval === 0) model.memoryBank.updateCentroidsMemory();
    if (done % this.o.dealWithSmallClustersInterval === 0) model.memoryBank.dealWithSmallClusters();
    if (this.o.reweight) model.setReweight(this.o.reweightPow);
    if (done % this.o.evaluateInterval === 0) this.log(runner, model);
  }

  /** Logs the cluster-size histogram's summary. */
  private log(runner: RunnerView, model: ODC): void {
    const hist = model.memoryBank.histogram();
    runner.logScalars({
      empty_num: hist.filter((c) => c === 0).length,
      min_cluster: Math.min(...hist),
      max_cluster: Math.max(...hist),
    });
  }
}

/**
 * Fills ODC's memory: neck features of every image of `dataset` (eval mode), k-means on their
 * L2-normalised rows (MMSelfSup's Kmeans with pca_dim −1), labels broadcast from rank 0, the
 * memory initialised with the raw features and the classifier re-initialised.
 */
export async function initMemory(model: ODC, dataset: DatasetConfig, o: { batchSize: number; iters: number }): Promise<void> {
  const { dataset: ds, views } = buildDataset(dataset, 'ODCHook.extractDataloader.dataset');
  if (ds.length !== model.memoryBank.length)
    throw new RangeError(
      `ODCHook: extractDataloader has ${ds.length} images but the memory has ${model.memoryBank.length} rows (the training set's)`,
    );
  const loader = new DataLoader(ds, { batchSize: o.batchSize, views, shuffle: false });
  const wasTraining = model.training;
  model.eval();
  const device = model.lossWeight.device;
  let ex: Awaited<ReturnType<typeof extractFeatures>>;
  try {
    ex = await extractFeatures((images) => torch.tidy(() => model.embed(model.preprocess(images.to({ device })))), loader);
  } finally {
    if (wasTraining) model.train();
  }
  try {
    torch.tidy(() => {
      // Rows in dataset order (the loader does not shuffle, but indices make it explicit).
      const feats = torch.zeros(ex.features.shape, { device: ex.features.device }).indexPut_([ex.indices], ex.features);
      const k = model.numClasses;
      if (feats.shape[0] < k) throw new RangeError(`ODCHook: ${feats.shape[0]} images cannot fill ${k} clusters`);
      const { labels } = kmeans(normalizeRows(feats), { k, niter: o.iters });
      if (torch.distributed.getWorldSize() > 1) torch.distributed.broadcast(labels, 0);
      model.memoryBank.initMemory(feats, labels);
      model.head.initWeights();
      if (torch.distributed.getWorldSize() > 1) for (const p of model.head.parameters()) torch.distributed.broadcast(p, 0);
    });
  } finally {
    for (const t of [ex.features, ex.labels, ex.indices]) t.dispose();
  }
}

function normalizeRows(x: torch.Tensor): torch.Tensor {
  return x.div(x.norm(2, [1], { keepdim: true }).add(1e-10));
}

export const odcHookPart = definePart({
  registry: HOOKS,
  name: 'ODCHook',
  schema: odcHookSchema,
  description: 'ODC: initialises the memory by k-means, updates centroids, re-assigns small clusters, re-weights the loss',
  build: (o) => new ODCHook(o),
});
