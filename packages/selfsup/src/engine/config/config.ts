/**
 * The training config (MMEngine's top-level keys, camelCased) and its validation. Parts named by
 * `type` (model, dataset, transforms, hooks, schedules) are checked by their registries when
 * built; this schema checks the structure around them, so every problem has an exact path.
 *
 * ```ts
 * export default {
 *   _base_: ['../_base_/models/simclr.ts', '../_base_/datasets/cifar10.ts', '../_base_/default_runtime.ts'],
 *   trainDataloader: { batchSize: 256 },
 *   optimWrapper: { optimizer: { type: 'LARS', lr: 4.8, momentum: 0.9, weightDecay: 1e-6 } },
 *   paramScheduler: [{ type: 'CosineAnnealingLR', byEpoch: true, begin: 0, end: 200 }],
 *   trainCfg: { type: 'EpochBasedTrainLoop', maxEpochs: 200 },
 * };
 * ```
 */
import { checkpointHookSchema } from '../hooks/checkpoint-hook.js';
import { knnMonitorSchema } from '../hooks/knn-monitor-hook.js';
import { loggerHookSchema } from '../hooks/logger-hook.js';
import { optimWrapperSchema } from '../optim-builder.js';
import { autoScaleLrSchema } from '../auto-scale-lr.js';
import type { ConfigObject } from './merge.js';
import { bool, nonNegInt, posInt, str, typed, validate, z } from '../../core/schema.js';
import type { AlgorithmConfig, DatasetConfig, HookConfig, SchedulerConfig } from '../../part-configs.js';

const dataloader = z.strictObject({
  batchSize: posInt(),
  dataset: typed<DatasetConfig>(),
  shuffle: bool().optional(),
  dropLast: bool().optional(),
  /** Batches decoded ahead of training. */
  prefetch: posInt().optional(),
  /** Worker threads that decode and augment (MMEngine's `num_workers`); 0: on the training thread. */
  numWorkers: nonNegInt().optional(),
  /**
   * `idle`: the worker threads run in Linux's SCHED_IDLE class, on the core time the training threads
   * leave free, instead of competing with them for the cores (`normal`).
   */
  workerPriority: z.enum(['idle', 'normal']).optional(),
  onCorrupt: z.enum(['error', 'skip']).optional(),
  /** Copy batches into page-locked host memory so host→GPU copies run asynchronously (GPU runs only). */
  pinMemory: bool().optional(),
  /**
   * Workers make only each view's crop; the rest of the pipeline (flip, jitter, greyscale, blur,
   * solarize, masks) runs batched on the training device, same views (pipelines whose only
   * per-image step is a RandomResizedCrop). For a GPU fed by a small host.
   */
  augmentOnDevice: bool().optional(),
});

/** Where training runs: the first GPU when there is one (`auto`, the default), the CPU, or a named GPU. */
export const deviceSchema = z.string().regex(/^(auto|cpu|cuda(:\d+)?)$/, {
  error: "expected 'auto', 'cpu', 'cuda' or 'cuda:N'",
});

export const configSchema = z.strictObject({
  model: typed<AlgorithmConfig>(),
  trainDataloader: dataloader,
  optimWrapper: optimWrapperSchema,
  paramScheduler: z.array(typed<SchedulerConfig>()).optional(),
  trainCfg: z
    .strictObject({
      type: z.enum(['EpochBasedTrainLoop', 'IterBasedTrainLoop']).optional(),
      maxEpochs: posInt().optional(),
      maxIters: posInt().optional(),
    })
    .refine((c) => (c.type === 'IterBasedTrainLoop' ? c.maxIters !== undefined : c.maxEpochs !== undefined), {
      error: 'needs maxEpochs (EpochBasedTrainLoop) or maxIters (IterBasedTrainLoop)',
    }),
  /** MMEngine's default hooks, built through HOOKS (`type` may name a replacement). */
  defaultHooks: z
    .strictObject({
      logger: loggerHookSchema.extend({ type: str().optional() }).optional(),
      checkpoint: checkpointHookSchema.extend({ type: str().optional() }).optional(),
    })
    .optional(),
  customHooks: z.array(typed<HookConfig>()).optional(),
  /** Online kNN accuracy on a labelled train/val pair every `interval` epochs (logged as `knn_top1`). */
  knnMonitor: knnMonitorSchema.nullable().optional(),
  randomness: z.strictObject({ seed: nonNegInt().optional(), deterministic: bool().optional() }).optional(),
  /** `auto` (default: a GPU when libtorch sees one, else the CPU), `cpu`, `cuda`, `cuda:N`. */
  device: deviceSchema.optional(),
  /** MMEngine's `env_cfg`: cuDNN autotuning and the distributed backend (default nccl on GPUs, gloo on CPU). */
  envCfg: z
    .strictObject({
      cudnnBenchmark: bool().optional(),
      distCfg: z.strictObject({ backend: z.enum(['gloo', 'nccl']).optional() }).optional(),
    })
    .optional(),
  /** Convert every BatchNorm to SyncBatchNorm when distributed. */
  syncBn: bool().optional(),
  /**
   * The memory format the model's 4-D weights and the input views train in. `auto` (the default):
   * channels_last for convolutional backbones (ResNet family) on the CPU, where oneDNN's convolutions
   * run faster on it; contiguous otherwise. Checkpoints are written contiguous either way.
   */
  memoryFormat: z.enum(['auto', 'channelsLast', 'contiguous']).optional(),
  workDir: str().optional(),
  /** Initial weights (a `.pth`/safetensors checkpoint) loaded into the model before training. */
  loadFrom: str().nullable().optional(),
  /** MMEngine's `auto_scale_lr`: lr × (world size × batchSize) / baseBatchSize when enabled. */
  autoScaleLr: autoScaleLrSchema.optional(),
  /** The algorithm's name for logs (filled from the config file name). */
  expName: str().optional(),
});

export type Config = z.infer<typeof configSchema>;

/** Checks a whole config; the error names the exact path of the first bad value. */
export function validateConfig(cfg: ConfigObject): Config {
  return validate(configSchema, cfg, '');
}
