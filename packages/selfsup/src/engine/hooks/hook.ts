/**
 * Hooks (MMEngine's `Hook`): code that runs at fixed points of training, ordered by priority
 * (lower runs first; MMEngine's names map to numbers). Hooks observe and adjust the runner
 * (schedules, momentum, checkpoints, logs); the runner never depends on a particular hook.
 */
import type { nn, optim } from '@selfsup/torch';
import type { TrainProgress } from '../../core/progress.js';
import type { DataLoader } from '../../data/loader/loader.js';
import type { Algorithm, LossOutput } from '../../models/algorithms/base.js';

/** MMEngine's priority names. */
export const PRIORITY = {
  HIGHEST: 0,
  VERY_HIGH: 10,
  HIGH: 30,
  ABOVE_NORMAL: 40,
  NORMAL: 50,
  BELOW_NORMAL: 60,
  LOW: 70,
  VERY_LOW: 90,
  LOWEST: 100,
} as const;
export type PriorityName = keyof typeof PRIORITY;

/** What a hook may read and change of a running training. */
export interface RunnerView {
  readonly model: Algorithm;
  /** The model as trained: `model`, or its DistributedDataParallel wrapper. */
  readonly trainModel: nn.AnyModule;
  readonly optimWrapper: optim.OptimWrapper;
  readonly workDir: string;
  readonly rank: number;
  readonly worldSize: number;
  /** Progress: epoch/iter are those of the step in flight (0-based). */
  readonly progress: TrainProgress;
  /**
   * The training data loader (its dataset, and `setSampler` for hooks that change the sampling,
   * such as DeepClusterHook). Absent where a hook runs outside the Runner.
   */
  readonly loader?: DataLoader;
  /** Iterations per epoch (the loader's length). */
  readonly itersPerEpoch: number;
  /** Records scalars for the logger at the current iteration (`lr`, `knn_top1`, …). */
  logScalars(values: Record<string, number>, opts?: { kind?: 'train' | 'val' }): void;
  /** Prints a status line (stderr, rank 0, not when the run is quiet). */
  log(line: string): void;
  /** The latest value of every logged scalar (a checkpoint hook reads its `saveBest` metric here). */
  readonly lastScalars: ReadonlyMap<string, number>;
  /**
   * Asks the runner to stop after the current iteration (with a reason to print); `expected`
   * stops (a time budget, early stopping) end the run successfully, others count as interrupted.
   */
  requestStop(reason: string, opts?: { expected?: boolean }): void;
  /**
   * Resizes every input view by `scale` (bilinear, antialiased) from the next iteration on; 1 (the
   * default) leaves them as the loader makes them. ProgressiveResizeHook sets it.
   */
  setInputScale(scale: number): void;
  /**
   * Re-fits the schedule to `maxIters` iterations from the next one on (FitCheckHook): the
   * parameter schedules become those `fitSchedule` gives for that length, at the current
   * iteration; progress, the optimizer's accumulation windows and the work dir's `config.json`
   * follow. Needs an iteration-based loop.
   */
  refitSchedule(maxIters: number): void;
  /** Rank 0's `value` on every process (a collective: every rank calls it at the same point); `value` itself in one process. */
  agreeOnNumber(value: number): number;
}

/** Per-iteration information given to `afterTrainIter`. */
export interface IterOutputs {
  output: LossOutput;
  /** The loss as a number (already read back once for all hooks). */
  loss: number;
  batchSize: number;
  dataWaitMs: number;
  iterMs: number;
}

export abstract class Hook {
  /** Lower runs first. */
  priority: number = PRIORITY.NORMAL;

  beforeRun?(runner: RunnerView): void | Promise<void>;
  afterRun?(runner: RunnerView): void | Promise<void>;
  beforeTrainEpoch?(runner: RunnerView): void | Promise<void>;
  afterTrainEpoch?(runner: RunnerView): void | Promise<void>;
  beforeTrainIter?(runner: RunnerView): void | Promise<void>;
  afterTrainIter?(runner: RunnerView, out: IterOutputs): void | Promise<void>;
  /** State to keep in checkpoints (plain JSON data). */
  stateDict?(): Record<string, unknown>;
  loadStateDict?(state: Record<string, unknown>): void;
}
