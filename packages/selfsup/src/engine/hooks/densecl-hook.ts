/**
 * MMSelfSup's `DenseCLHook` (Wang et al. 2021, "Dense Contrastive Learning for Self-Supervised
 * Visual Pre-Training", arXiv:2011.09157): the dense loss is switched off (λ = 0) for the first
 * `startIters` iterations, then the algorithm's configured λ applies. Works on any algorithm with
 * a numeric `lossLambda` (DenseCL).
 */
import { nonNegInt, z } from '../../core/schema.js';
import type { Algorithm } from '../../models/algorithms/base.js';
import { definePart } from '../../core/registry.js';
import { HOOKS } from '../registries.js';
import { Hook, type RunnerView } from './hook.js';

/** An algorithm whose dense-loss weight a hook may set. */
type WithLossLambda = Algorithm & { lossLambda: number };

function hasLossLambda(m: Algorithm): m is WithLossLambda {
  return typeof Reflect.get(m, 'lossLambda') === 'number';
}

export const denseCLHookSchema = z.strictObject({
  /** Iterations with λ = 0. Default 1000. */
  startIters: nonNegInt().optional(),
});
export type DenseCLHookOptions = z.input<typeof denseCLHookSchema>;

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

export const denseCLHookPart = definePart({
  registry: HOOKS,
  name: 'DenseCLHook',
  schema: denseCLHookSchema,
  description: 'DenseCL: dense loss weight λ = 0 for the first startIters iterations',
  build: (o) => new DenseCLHook(o),
});
