/** Parameter schedules (lr, momentum, weight decay) and the EMA momentum schedule. */
export { INF, ParamScheduler, type SchedulerOptions, type SchedulerState, epochsToIters } from './param-scheduler.js';
export { LinearLR, type LinearLROptions } from './linear.js';
export { CosineAnnealingLR, type CosineAnnealingLROptions } from './cosine.js';
export { StepLR, type StepLROptions, MultiStepLR, type MultiStepLROptions } from './step.js';
export { ExponentialLR, type ExponentialLROptions } from './exponential.js';
export { PolyLR, type PolyLROptions } from './poly.js';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle.js';
export { cosineMomentum, CosineEMAMomentum } from './ema-momentum.js';
export { ParamSchedulerList, buildParamScheduler, buildParamSchedulers, type SchedulerConfig } from './build.js';
