/**
 * The engine's registries (MMEngine's `HOOKS`, `OPTIMIZERS`, `PARAM_SCHEDULERS`): hooks, and the
 * factories that make an optimizer over the model's parameter groups and a parameter scheduler
 * over that optimizer. Parts are declared with `definePart` and added by the built-in manifest
 * (`src/builtins.ts`) or a user's `--import` module, so `selfsup list` shows them and a user can add
 * an optimizer (`OPTIMIZERS.register(definePart({ … }))`).
 */
import type { optim } from '@selfsup/torch';
import { Registry } from '../core/registry.js';
import type { Hook } from './hooks/hook.js';

/** Makes the optimizer over the parameter groups the optimizer wrapper prepared. */
export type OptimizerFactory = (groups: optim.ParamGroupInput[]) => optim.Optimizer;

/** Makes a scheduler over `target` (the optimizer wrapper); `epochLength` converts epoch-based entries to iterations. */
export type SchedulerFactory = (target: optim.HyperparamTarget, opts: { epochLength: number }) => optim.ParamScheduler;

/** Hooks by `type` (`customHooks: [{ type: 'DenseCLHook' }]`). */
export const HOOKS = new Registry<Hook>('hooks');
/** Optimizers by `type` (`optimWrapper.optimizer: { type: 'LARS', lr: 4.8 }`). */
export const OPTIMIZERS = new Registry<OptimizerFactory>('optimizers');
/** Parameter schedulers by `type` (`paramScheduler: [{ type: 'CosineAnnealingLR', … }]`). */
export const PARAM_SCHEDULERS = new Registry<SchedulerFactory>('param schedulers');
