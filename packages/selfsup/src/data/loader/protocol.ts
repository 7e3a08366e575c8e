/**
 * Messages between the DataLoader and its worker threads. Workers rebuild the dataset and the views
 * from plain config data (the same configs a run is built from), so nothing but data crosses.
 */
import type { TypedConfig } from '../../core/registry.js';
import type { OpenSpec } from '../open.js';
import type { PackedView } from '../transforms/multi-view.js';
import type { SharedDatasetSource } from './shared-dataset.js';

/**
 * A dataset as workers rebuild it: a DATASETS config (`{ type: 'ImageFolder', root }`), an
 * `openDataset` spec, or an in-memory dataset's shared block.
 */
export type DatasetSource = TypedConfig | OpenSpec | string | SharedDatasetSource;

export interface WorkerSetup {
  dataset: DatasetSource;
  /** The views as `buildViews` takes them (`{ type: 'MultiView', numViews, transforms }` or a list). */
  views: unknown;
  /** Module files to import first (as `--import` does), for parts registered outside selfsup. */
  imports: readonly string[];
  onCorrupt: 'error' | 'skip';
  /** `idle`: the worker runs in Linux's SCHED_IDLE class (only on cores the training threads leave free). */
  priority: 'idle' | 'normal';
  /** Each view stops after its per-image crop (`MultiView.applyImagesDeferred`); the training thread finishes it on its device. */
  deferred: boolean;
}

export interface InitMessage extends WorkerSetup {
  type: 'init';
}

export interface BatchRequest {
  type: 'batch';
  id: number;
  indices: number[];
  seed: number;
  epoch: number;
}

/** A tensor's bytes and shape (bool masks travel as bytes). */
export type Packed = PackedView;

export interface ChunkResult {
  type: 'result';
  id: number;
  /** One per view (per pipeline application when deferred); absent views mean no sample of the chunk could be decoded. */
  views: Packed[];
  masks: Packed[];
  /** Deferred chunks: each application's per-sample stream positions after the crop. */
  positions?: number[][];
  labels: number[] | null;
  idx: number[];
  skipped: { idx: number; error: string }[];
}

export type WorkerReply =
  | { type: 'ready'; length: number }
  | ChunkResult
  | { type: 'error'; id: number | null; message: string; decode: boolean };
