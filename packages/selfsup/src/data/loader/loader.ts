/**
 * The data loader: batches of augmented views from any dataset, in an order fixed by the sampler
 * (seeded by seed + epoch) and augmentations fixed by (seed, epoch, sample index, view), so the
 * same seed gives the same batches whatever the prefetch depth or decode concurrency. Decoding
 * runs on libuv's thread pool (sharp) and the next batches are decoded while the current one
 * trains. Views come out as `(N, C, H, W)` uint8 tensors, one per view.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import type { Dataset } from '../datasets/base.js';
import { DecodeError } from '../decode.js';
import type { Sample } from '../image.js';
import { imageToTensor } from '../transforms/functional.js';
import type { MultiView } from '../transforms/pipelines.js';
import { RandomSampler, type Sampler, SequentialSampler } from './samplers.js';

export interface Batch {
  /** One `(N, C, H, W)` uint8 tensor per view (a single entry without a MultiView). */
  views: Tensor[];
  /** `(N)` int64 labels when the dataset is labelled. */
  labels: Tensor | null;
  /** `(N)` int64 dataset indices of the samples. */
  idx: Tensor;
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
}

export class DataLoader implements AsyncIterable<Batch> {
  readonly sampler: Sampler;
  private epoch = 0;
  private current: LoaderStats = { epoch: 0, batches: 0, images: 0, imagesPerSec: 0, dataWaitMs: 0, skipped: [] };

  constructor(
    readonly dataset: Dataset,
    readonly o: LoaderOptions,
  ) {
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1)
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${o.batchSize}`);
    this.sampler =
      o.sampler ??
      ((o.shuffle ?? false) ? new RandomSampler(dataset.length, o.seed ?? 0) : new SequentialSampler(dataset.length));
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
      const imgs = samples.map((s) => imageToTensor(s.img));
      let views: Tensor[];
      if (this.o.views) {
        views = this.o.views.applyBatch(
          imgs,
          seed,
          epoch,
          samples.map((s) => s.idx),
        );
      } else {
        const sizes = new Set(imgs.map((t) => t.shape.join('×')));
        if (sizes.size > 1)
          throw new Error(
            `DataLoader: images of different sizes (${[...sizes].join(', ')}) without a crop or resize in the pipeline`,
          );
        views = [torch.stack(imgs)];
      }
      const labelled = samples.every((s) => s.label !== undefined);
      const labels = labelled
        ? torch.tensor(
            samples.map((s) => s.label as number),
            { dtype: 'int64' },
          )
        : null;
      const idx = torch.tensor(
        samples.map((s) => s.idx),
        { dtype: 'int64' },
      );
      const keepers = torch.keep({ views, labels, idx });
      return {
        ...keepers,
        dispose() {
          for (const v of keepers.views) v.dispose();
          keepers.labels?.dispose();
          keepers.idx.dispose();
        },
      };
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
    const pending: Promise<(Sample | null)[]>[] = [];
    let launched = 0;
    const launch = () => {
      while (launched < groups.length && pending.length < depth) {
        const p = this.decodeAll(groups[launched++]);
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
        const samples = await (pending.shift() as Promise<(Sample | null)[]>);
        launch();
        this.current.dataWaitMs += performance.now() - w0;
        const ok = samples.filter((s): s is Sample => s !== null);
        if (ok.length === 0) continue;
        const batch = this.collate(ok, epoch);
        this.current.batches++;
        this.current.images += ok.length;
        this.current.imagesPerSec = this.current.images / ((performance.now() - t0) / 1000);
        yield batch;
      }
    } finally {
      pending.length = 0;
    }
  }
}
