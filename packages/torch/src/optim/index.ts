/**
 * `torch.optim` for @selfsup/torch: optimizers (SGD, Adam, AdamW, LARS, LAMB) over libtorch's
 * multi-tensor kernels, parameter groups from MMEngine-style rules and layer-wise lr decay,
 * gradient clipping, an MMEngine-like `OptimWrapper` (accumulation, clipping, loss scaling), a
 * `GradScaler`, EMA target networks, and lr/momentum schedules that compose like MMEngine's
 * `param_scheduler` lists. State dicts use PyTorch's format and names.
 */
export {
  Optimizer,
  type BaseHyper,
  type HyperValue,
  type HyperparamTarget,
  type ParamGroup,
  type ParamGroupInput,
  type ParamsInput,
  type StateEntry,
} from './optimizer.js';
export { SGD, type SGDHyper, type SGDState } from './sgd.js';
export { Adam, AdamW, AdamBase, type AdamHyper, type AdamState, type AdamOptions } from './adam.js';
export { LARS, type LARSHyper, type LARSState } from './lars.js';
export { LAMB, type LAMBHyper, type LAMBState, type LAMBOptions } from './lamb.js';
export { clipGradNorm_, clipGradValue_ } from './clip.js';
export {
  paramwiseGroups,
  mergeParamGroups,
  isNormModule,
  type ParamwiseConfig,
  type CustomKeyOptions,
  type BaseOptimSettings,
  type NamedParamGroup,
} from './paramwise.js';
export { layerDecayGroups, vitLayerId, isNoDecayParam, type LayerDecayOptions, type LayerDecayGroup } from './layer-decay.js';
export { OptimWrapper, type OptimWrapperOptions, type ClipGradOptions, type UpdateResult } from './optim-wrapper.js';
export { GradScaler, type GradScalerOptions, type GradScalerState } from './grad-scaler.js';
export { EMA } from './ema.js';
export * as lrScheduler from './lr-scheduler/index.js';
export * from './lr-scheduler/index.js';
