/**
 * selfsup: self-supervised learning for images, on libtorch.
 *
 * @module selfsup
 */
export * from './core/registry.js';
export * from './core/schema.js';
export type { TrainProgress } from './core/progress.js';
export * from './core/images.js';
export * from './models/registries.js';
export * from './data/registries.js';
export * from './engine/registries.js';
export * from './models/backbones/index.js';
export * from './models/necks/index.js';
export * from './models/heads/index.js';
export * from './models/losses/index.js';
export * from './models/target-generators/index.js';
export * from './models/algorithms/index.js';
export * from './models/memories/index.js';
export * as evaluation from './evaluation/index.js';
export { mergeConfig, type ConfigObject, type ConfigValue } from './engine/config/merge.js';
/** What configs import from 'selfsup/config': `defineConfig`, `replace`, the recipe builders. */
export * from './engine/config/helpers.js';
export type * from './part-configs.js';
export { type Config, validateConfig } from './engine/config/config.js';
export { loadConfig } from './engine/config/load.js';
export { applyCfgOptions } from './engine/config/options.js';
export { prepareConfig } from './engine/config/prepare.js';
export { Hook, PRIORITY, type RunnerView, type IterOutputs } from './engine/hooks/hook.js';
export { Runner, NonFiniteLossError, type RunnerOptions, type TrainResult } from './engine/runner.js';
export {
  describeHookSeconds,
  describeSizeSeconds,
  fitSchedule,
  fitToSeconds,
  fittedIters,
  measureIterSeconds,
  progressiveSecondsPerIter,
  progressiveSizeShares,
  scheduleIters,
  type FittedSchedule,
  type SpeedMeasurement,
} from './engine/fit-schedule.js';
export { buildOptimWrapper } from './engine/optim-builder.js';
export * from './engine/model-source.js';
export { complexity, type Complexity } from './analysis/complexity.js';
export * from './analysis/kmeans.js';
export * from './analysis/pca.js';
export * from './engine/hooks/deepcluster-hook.js';
export { FitCheckHook, type FitCheck, type FitCheckHookOptions } from './engine/hooks/fit-check-hook.js';
export { ProgressiveResizeHook, type ProgressiveResizeOptions, progressiveSize } from './engine/hooks/progressive-resize-hook.js';
export { resizeView } from './engine/input-resize.js';
export * from './data/datasets/idx.js';
export * as data from './data/index.js';
export { BUILTIN_PARTS } from './builtins.js';
export { ODCHook, initMemory as initODCMemory } from './engine/hooks/odc-hook.js';
