/**
 * MMSelfSup's `DenseCLHook` (Wang et al. 2021, "Dense Contrastive Learning for Self-Supervised
 * Visual Pre-Training", arXiv:2011.09157): the dense loss is switched off (λ = 0) for the first
 * `startIters` iterations, then the algorithm's configured λ applies. Works on any algorithm with
 * a numeric `lossLambda` (DenseCL).
 */
import { nonNegInt, z } from '../../engine/config/schema.js';
import type { Algorithm } from '../../models/algorithms/base.js';
import { configOptions } from '../../registry.js';
import { HOOKS, Hook, type RunnerView } from './hook.js';

/** An algorithm whose dense-loss weight a hook may set. */
type WithLossLambda = Algorithm & { lossLambda: number };

function hasLossLambda(m: Algorithm): m is WithLossLambda {
  return typeof Reflect.get(m, 'lossLambda') === 'number';
}

export interface DenseCLHookOptions {
  /** Iterations with λ = 0. Default 1000. */
  startIters?: number;
}

export const denseCLHookSchema = z.strictObject({ startIters: nonNegInt().optional() });

export class DenseCLHook extends Hook {
  readonly startIters: number;
  /** The algorithm's configured λ, read before training starts. */
  private lossLambda: number | null = null;

  constructor(opts: DenseCLHookOptions = {}) {
    super();
    this.startIters = opts.startIters ?? 1000;
  }

  private model(runner: RunnerView): WithLossLambda {
    const m = runner.model;
    if (!hasLossLambda(m)) throw new TypeError(`DenseCLHook: the model (${m.constructor.name}) has no numeric lossLambda`);
    return m;
  }

  override beforeRun(runner: RunnerView): void {
    this.lossLambda = this.model(runner).lossLambda;
  }

  override beforeTrainIter(runner: RunnerView): void {
    const m = this.model(runner);
    if (this.lossLambda === null) this.lossLambda = m.lossLambda;
    m.lossLambda = runner.progress.iter >= this.startIters ? this.lossLambda : 0;
  }
}

HOOKS.register('DenseCLHook', (cfg) => new DenseCLHook(configOptions<DenseCLHookOptions>(cfg)), {
  schema: denseCLHookSchema,
  description: 'DenseCL: dense loss weight λ = 0 for the first startIters iterations',
});
