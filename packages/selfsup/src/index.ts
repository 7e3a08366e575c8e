/** selfsup: self-supervised learning for images, on libtorch. */
export * from './data/datasets/idx.js';
export * from './models/backbones/index.js';
export { BACKBONES, Registry, type TypedConfig, type Builder } from './registry.js';
export { ConfigError } from './engine/config/schema.js';
export { replace, mergeConfig } from './engine/config/merge.js';
export type { Config } from './engine/config/config.js';
export { loadConfig } from './engine/config/load.js';
export { Hook, HOOKS, PRIORITY, type RunnerView, type IterOutputs } from './engine/hooks/hook.js';
export { Runner, NonFiniteLossError, type RunnerOptions, type TrainResult } from './engine/runner.js';
export {
  Algorithm,
  ALGORITHMS,
  type AlgorithmInput,
  type LossOutput,
  type TrainProgress,
} from './models/algorithms/base.js';
export { NECKS, HEADS, LOSSES, DATASETS, TRANSFORMS } from './registry.js';
