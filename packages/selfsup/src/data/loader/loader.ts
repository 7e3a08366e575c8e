/**
 * The data loader: batches of augmented views from any dataset, in an order fixed by the sampler
 * (seeded by seed + epoch) and augmentations fixed by (seed, epoch, sample index, view), so the
 * same seed gives the same batches whatever the prefetch depth, decode concurrency or number of
 * workers. The next batches are prepared while the current one trains: decoded on this thread and
 * libuv's pool, or decoded and augmented in worker threads (`workers`). Views come out as
 * `(N, C, H, W)` uint8 tensors, one per view, with any patch masks beside them.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import type { Dataset } from '../datasets/base.js';
import { DecodeError } from '../decode.js';
import type { Sample } from '../image.js';
import { buildViews } from '../register.js';
import { imageToTensor } from '../transforms/functional.js';
import type { BatchViews, MultiView } from '../transforms/multi-view.js';
import { WorkerError, WorkerPool } from './pool.js';
import { sharedSource } from './shared-dataset.js';
import type { ChunkResult, DatasetSource, Packed } from './protocol.js';
import { RandomSampler, type Sampler, SequentialSampler } from './samplers.js';
import { tensorToDevice } from './to-device.js';

export interface Batch {
  /** One `(N, C, H, W)` uint8 tensor per view (a single entry without a MultiView). */
  views: Tensor[];
  /** `(N)` int64 labels when the dataset is labelled. */
  labels: Tensor | null;
  /** `(N)` int64 dataset indices of the samples. */
  idx: Tensor;
  /**
   * `(N, H', W')` bool patch masks (1 = masked), one per view-pipeline application that ends in a
   * mask generator (BEiT, SimMIM: one); absent when the views make none.
   */
  masks?: Tensor[];
  /** Frees the batch's tensors. */
  dispose(): void;
}

export interface LoaderStats {
  epoch: number;
  batches: number;
  images: number;
  /** Images per second over the epoch so far (wall clock). */
  imagesPerSec: number;
  /** Time the consumer waited for data. */
  dataWaitMs: number;
  /** Samples skipped as undecodable (policy `skip`), with their errors. */
  skipped: { idx: number; error: string }[];
}

export interface LoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  dropLast?: boolean;
  seed?: number;
  /** The augmentation; without one, images must all have the same size. */
  views?: MultiView;
  sampler?: Sampler;
  /** Batches decoded ahead of the consumer. */
  prefetch?: number;
  /** Images decoded at once. */
  decodeConcurrency?: number;
  /** `error` (default) stops on the first undecodable image; `skip` drops it (warned, counted). */
  onCorrupt?: 'error' | 'skip';
  /**
   * Decode and augment in worker threads (each with its own libtorch and one intra-op thread)
   * instead of on this thread. Workers rebuild the dataset and views from config; the batches are
   * the same as without workers, whatever their number.
   */
  workers?: WorkerOptions;
  /**
   * Augment on `device`: workers (or this thread) make only each view's per-image crop, and this
   * thread copies the uint8 crops there and runs the rest of the pipeline (jitter, greyscale, blur,
   * solarize, flips, masks) batched on that device, from the same per-sample streams: the same
   * views, with the host doing a fraction of the work (a GPU fed by a small host). Needs views whose
   * only per-image step is a RandomResizedCrop (`MultiView.notDeferrable`).
   */
  deviceAugment?: { device: string; pin?: boolean };
}

export interface WorkerOptions {
  count: number;
  /** The loader's dataset as a DATASETS config or an `openDataset` spec (its length is checked). */
  dataset: DatasetSource;
  /** The views as `buildViews` takes them; replaces the `views` option. */
  views: unknown;
  /** Module files each worker imports first, as `--import` does (parts registered outside selfsup). */
  imports?: readonly string[];
  /**
   * `idle` puts the workers in Linux's SCHED_IDLE class: they use only the core time the training
   * threads leave free and never preempt one of them mid-operator (default `normal`).
   */
  priority?: 'idle' | 'normal';
}

/**
 * A batch of `views` (and pipeline `masks`) with its labels and dataset indices, kept out of the
 * enclosing `tidy` and freed together by `dispose()`.
 */
function makeBatch(views: Tensor[], masks: Tensor[], labels: number[] | null, idx: number[]): Batch {
  const keepers = torch.keep({
    views,
    masks,
    labels: labels === null ? null : torch.tensor(labels, { dtype: 'int64' }),
    idx: torch.tensor(idx, { dtype: 'int64' }),
  });
  const batch: Batch = {
    views: keepers.views,
    labels: keepers.labels,
    idx: keepers.idx,
    dispose() {
      for (const v of keepers.views) v.dispose();
      keepers.labels?.dispose();
      keepers.idx.dispose();
      for (const m of keepers.masks) m.dispose();
    },
  };
  if (keepers.masks.length > 0) batch.masks = keepers.masks;
  return batch;
}

/** A batch on its way: decoded samples (made into tensors on this thread) or a worker's finished chunks. */
type Prepared = { kind: 'samples'; samples: (Sample | null)[] } | { kind: 'chunks'; chunks: ChunkResult[] };

export class DataLoader implements AsyncIterable<Batch> {
  private _sampler: Sampler;
  private epoch = 0;
  private pool: Promise<WorkerPool> | null = null;
  /** The views that finish deferred batches on this thread (`deviceAugment`). */
  private finisher: MultiView | null = null;
  private current: LoaderStats = { epoch: 0, batches: 0, images: 0, imagesPerSec: 0, dataWaitMs: 0, skipped: [] };

  constructor(
    readonly dataset: Dataset,
    readonly o: LoaderOptions,
  ) {
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1)
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${o.batchSize}`);
    this._sampler =
      o.sampler ??
      ((o.shuffle ?? false) ? new RandomSampler(dataset.length, o.seed ?? 0) : new SequentialSampler(dataset.length));
    if (o.workers) {
      if (!Number.isInteger(o.workers.count) || o.workers.count < 1)
        throw new RangeError(`DataLoader: workers.count must be a positive integer, got ${o.workers.count}`);
      if (o.views) throw new TypeError('DataLoader: with workers, give the views as workers.views (config), not views');
    }
    if (o.deviceAugment) {
      const views = o.views ?? (o.workers ? buildViews(o.workers.views, 'workers.views') : null);
      if (!views) throw new TypeError('DataLoader: deviceAugment needs views (or workers.views) to finish on the device');
      const why = views.notDeferrable;
      if (why) throw new RangeError(`DataLoader: deviceAugment: ${why}`);
      this.finisher = views;
    }
  }

  /**
   * Deferred views made whole on `deviceAugment`'s device: each application's crops copied there,
   * then the rest of its pipeline run batched from the samples' stream positions.
   */
  private finish(heads: Tensor[], positions: number[][]): BatchViews {
    const { device, pin } = this.o.deviceAugment as { device: string; pin?: boolean };
    const moved = heads.map((h) => {
      const m = tensorToDevice(h, device, { pin });
      if (m !== h) h.dispose();
      return m;
    });
    return (this.finisher as MultiView).finishDeferred(moved, positions);
  }

  private workerPool(w: WorkerOptions): Promise<WorkerPool> {
    if (this.pool) return this.pool;
    const p = WorkerPool.start(
      w.count,
      {
        // In-memory data crosses as its shared block: the workers hold no copy of their own.
        dataset: sharedSource(this.dataset) ?? w.dataset,
        views: w.views,
        imports: w.imports ?? [],
        onCorrupt: this.o.onCorrupt ?? 'error',
        priority: w.priority ?? 'normal',
        deferred: this.finisher !== null,
      },
      this.dataset.length,
    );
    this.pool = p;
    // A pool that failed to start is tried again on the next epoch.
    p.catch(() => {
      if (this.pool === p) this.pool = null;
    });
    return p;
  }

  /** Stops the worker threads, if any (they do not keep the process alive while idle). */
  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    if (p) await (await p.catch(() => null))?.close();
  }

  /** The order of the samples. */
  get sampler(): Sampler {
    return this._sampler;
  }

  /**
   * Replaces the sampler from the next epoch on (DeepCluster's class-balanced sampling over
   * pseudo-labels). It must yield as many indices, so the epoch length stays the same.
   */
  setSampler(sampler: Sampler): void {
    if (sampler.length !== this._sampler.length)
      throw new RangeError(
        `DataLoader: the new sampler has ${sampler.length} indices per epoch, the current one ${this._sampler.length}`,
      );
    this._sampler = sampler;
  }

  /** Sets the epoch that seeds shuffling and augmentation (call before each epoch). */
  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  get length(): number {
    const n = this.sampler.length;
    return this.o.dropLast ? Math.floor(n / this.o.batchSize) : Math.ceil(n / this.o.batchSize);
  }

  get stats(): LoaderStats {
    return this.current;
  }

  private async decodeAll(indices: number[]): Promise<(Sample | null)[]> {
    const out: (Sample | null)[] = new Array(indices.length).fill(null);
    const limit = this.o.decodeConcurrency ?? 8;
    let next = 0;
    const worker = async () => {
      while (next < indices.length) {
        const k = next++;
        try {
          out[k] = await this.dataset.get(indices[k]);
        } catch (e) {
          if ((this.o.onCorrupt ?? 'error') === 'skip' && e instanceof DecodeError) {
            this.current.skipped.push({ idx: indices[k], error: e.message });
            console.warn(`selfsup: skipping undecodable image: ${e.message}`);
          } else {
            throw e;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, indices.length) }, worker));
    return out;
  }

  private collate(samples: Sample[], epoch: number): Batch {
    const seed = this.o.seed ?? 0;
    return torch.tidy(() => {
      let views: Tensor[];
      let masks: Tensor[] = [];
      if (this.finisher) {
        const { heads, positions } = this.finisher.applyImagesDeferred(
          samples.map((s) => s.img),
          seed,
          epoch,
          samples.map((s) => s.idx),
        );
        ({ views, masks } = this.finish(
          heads.map((h) => torch.tensor(h.data, { shape: h.shape })),
          positions,
        ));
      } else if (this.o.views) {
        ({ views, masks } = this.o.views.applyImagesWithMasks(
          samples.map((s) => s.img),
          seed,
          epoch,
          samples.map((s) => s.idx),
        ));
      } else {
        const imgs = samples.map((s) => imageToTensor(s.img));
        const sizes = new Set(imgs.map((t) => t.shape.join('×')));
        if (sizes.size > 1)
          throw new Error(
            `DataLoader: images of different sizes (${[...sizes].join(', ')}) without a crop or resize in the pipeline`,
          );
        views = [torch.stack(imgs)];
      }
      const labelled = samples.every((s) => s.label !== undefined);
      return makeBatch(
        views,
        masks,
        labelled ? samples.map((s) => s.label as number) : null,
        samples.map((s) => s.idx),
      );
    });
  }

  /** A batch from workers' chunks: each view's chunks joined in order. */
  private join(chunks: ChunkResult[]): Batch | null {
    const full = chunks.filter((c) => c.views.length > 0);
    for (const c of chunks) {
      for (const sk of c.skipped) {
        this.current.skipped.push(sk);
        console.warn(`selfsup: skipping undecodable image: ${sk.error}`);
      }
    }
    if (full.length === 0) return null;
    return torch.tidy(() => {
      // The chunks' bytes straight into one tensor: one copy.
      const cat = (parts: Packed[], bool: boolean) => {
        const sizes = new Set(parts.map((p) => p.shape.slice(1).join('×')));
        if (sizes.size > 1)
          throw new Error(
            `DataLoader: images of different sizes (${[...sizes].join(', ')}) without a crop or resize in the pipeline`,
          );
        const rows = parts.reduce((a, p) => a + p.shape[0], 0);
        const t = torch.fromBytes(
          parts.map((p) => p.data),
          'uint8',
          [rows, ...parts[0].shape.slice(1)],
        );
        return bool ? t.to('bool') : t;
      };
      const views = full[0].views.map((_, v) =>
        cat(
          full.map((c) => c.views[v]),
          false,
        ),
      );
      let masks = full[0].masks.map((_, m) =>
        cat(
          full.map((c) => c.masks[m]),
          true,
        ),
      );
      let done = views;
      if (full[0].positions) {
        const positions = full[0].positions.map((_, v) => full.flatMap((c) => (c.positions as number[][])[v]));
        ({ views: done, masks } = this.finish(views, positions));
      }
      const labelled = full.every((c) => c.labels !== null);
      return makeBatch(
        done,
        masks,
        labelled ? full.flatMap((c) => c.labels as number[]) : null,
        full.flatMap((c) => c.idx),
      );
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    const epoch = this.epoch;
    const bs = this.o.batchSize;
    const order = this.sampler.indices(epoch);
    const groups: number[][] = [];
    for (let s = 0; s < order.length; s += bs) {
      const g = order.slice(s, s + bs);
      if (g.length < bs && this.o.dropLast) break;
      groups.push(g);
    }
    this.current = { epoch, batches: 0, images: 0, imagesPerSec: 0, dataWaitMs: 0, skipped: [] };
    const t0 = performance.now();
    const depth = Math.max(1, this.o.prefetch ?? 2);
    const w = this.o.workers;
    const pool = w ? await this.workerPool(w) : null;
    const seed = this.o.seed ?? 0;
    const pending: Promise<Prepared>[] = [];
    let launched = 0;
    const launch = () => {
      while (launched < groups.length && pending.length < depth) {
        const g = groups[launched++];
        const p: Promise<Prepared> = pool
          ? pool.run(g, seed, epoch).then(
              (chunks) => ({ kind: 'chunks', chunks }),
              (e: unknown) => {
                // An undecodable image reads as it does without workers.
                throw e instanceof WorkerError ? new Error(e.message) : e;
              },
            )
          : this.decodeAll(g).then((samples) => ({ kind: 'samples', samples }));
        // A prefetched batch may fail before it is awaited: mark it handled now; awaiting it
        // later still throws to the consumer, in batch order.
        p.catch(() => undefined);
        pending.push(p);
      }
    };
    launch();
    try {
      while (pending.length > 0) {
        const w0 = performance.now();
        const ready = await (pending.shift() as Promise<Prepared>);
        launch();
        this.current.dataWaitMs += performance.now() - w0;
        let batch: Batch | null;
        if (ready.kind === 'chunks') batch = this.join(ready.chunks);
        else {
          const ok = ready.samples.filter((s): s is Sample => s !== null);
          batch = ok.length === 0 ? null : this.collate(ok, epoch);
        }
        if (!batch) continue;
        this.current.batches++;
        this.current.images += batch.views[0].shape[0];
        this.current.imagesPerSec = this.current.images / ((performance.now() - t0) / 1000);
        yield batch;
      }
    } finally {
      pending.length = 0;
    }
  }
}
