/**
 * A DataLoader worker thread: rebuilds the dataset and views from config, then decodes and augments
 * the chunks of batches it is sent, one at a time, with its own libtorch handles and one intra-op
 * thread (the cores are shared out between workers, not within one). Results go back as bytes.
 */
import { parentPort } from 'node:worker_threads';
import * as torch from '@selfsup/torch';
import { importUserModules } from '../../core/user-modules.js';
import { registerParts, type TypedConfig } from '../../core/registry.js';
import type { Dataset } from '../datasets/base.js';
import { DecodeError } from '../decode.js';
import type { Sample } from '../image.js';
import { openDataset } from '../open.js';
import { buildViews, DATASET_PARTS, PIPELINE_STEP_PARTS, TRANSFORM_PARTS } from '../register.js';
import type { MultiView } from '../transforms/multi-view.js';
import type { BatchRequest, ChunkResult, InitMessage, WorkerReply } from './protocol.js';
import { DATASETS } from '../registries.js';
import { pixelKernels } from '../pixels-native.js';
import { fromSharedSource, isSharedSource } from './shared-dataset.js';

const port = parentPort;
if (!port) throw new Error('selfsup: loader/worker.js runs as a worker thread');

// The data layer's parts; user modules (`--import`) add theirs in `init`.
registerParts([...DATASET_PARTS, ...TRANSFORM_PARTS, ...PIPELINE_STEP_PARTS]);
torch.setNumThreads(1);
let dataset: Dataset | null = null;
let views: MultiView | null = null;
let onCorrupt: 'error' | 'skip' = 'error';
let deferred = false;
let queue: Promise<void> = Promise.resolve();

const post = (m: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function init(m: InitMessage): Promise<void> {
  await importUserModules(m.imports);
  const src = m.dataset;
  dataset = isSharedSource(src)
    ? fromSharedSource(src)
    : typeof src === 'object' && 'type' in src
      ? DATASETS.build(src as TypedConfig, 'workers.dataset')
      : await openDataset(src);
  views = buildViews(m.views, 'workers.views');
  onCorrupt = m.onCorrupt;
  deferred = m.deferred;
  if (m.priority === 'idle') pixelKernels().setThreadIdlePriority();
  post({ type: 'ready', length: dataset.length });
}

async function batch(m: BatchRequest): Promise<void> {
  const ds = dataset as Dataset;
  const samples: Sample[] = [];
  const skipped: ChunkResult['skipped'] = [];
  for (const i of m.indices) {
    try {
      samples.push(await ds.get(i));
    } catch (e) {
      if (onCorrupt === 'skip' && e instanceof DecodeError) skipped.push({ idx: i, error: e.message });
      else throw e;
    }
  }
  const out: ChunkResult = {
    type: 'result',
    id: m.id,
    views: [],
    masks: [],
    labels: samples.every((s) => s.label !== undefined) ? samples.map((s) => s.label as number) : null,
    idx: samples.map((s) => s.idx),
    skipped,
  };
  if (samples.length > 0) {
    const mv = views as MultiView;
    const args = [samples.map((s) => s.img), m.seed, m.epoch, samples.map((s) => s.idx)] as const;
    if (deferred) {
      const r = mv.applyImagesDeferred(...args);
      out.views = r.heads;
      out.positions = r.positions;
    } else {
      const r = mv.applyImagesPacked(...args);
      out.views = r.views;
      out.masks = r.masks;
    }
  }
  post(
    out,
    [...out.views, ...out.masks].map((p) => p.data.buffer as ArrayBuffer),
  );
}

port.on('message', (m: InitMessage | BatchRequest) => {
  // One job at a time, in arrival order: chunks come back in the order they were sent.
  queue = queue
    .then(() => (m.type === 'init' ? init(m) : batch(m)))
    .catch((e: unknown) =>
      post({
        type: 'error',
        id: m.type === 'batch' ? m.id : null,
        message: (e as Error).message ?? String(e),
        decode: e instanceof DecodeError,
      }),
    );
});
