/**
 * Saves checkpoints (MMEngine's CheckpointHook): every `interval` epochs (or iterations with
 * `byEpoch: false`), always at the end (`saveLast`), keeping the newest `maxKeepCkpts`, and a
 * `best_<metric>.pth` whenever the metric named by `saveBest` (e.g. `knn_top1`) improves.
 */
import { copyFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempPath } from '@selfsup/torch';
import { pruneCheckpoints } from '../checkpoint.js';
import { definePart } from '../../core/registry.js';
import { bool, posInt, str, z } from '../../core/schema.js';
import { HOOKS } from '../registries.js';
import { Hook, PRIORITY, type RunnerView } from './hook.js';

/** `CheckpointHook` options (MMEngine's `default_hooks.checkpoint`). */
export const checkpointHookSchema = z.strictObject({
  /** Epochs (or iterations) between checkpoints; -1 saves only the last. Default 1. */
  interval: z.union([posInt(), z.literal(-1)]).optional(),
  /** Count epochs (default for epoch-based loops) or iterations. */
  byEpoch: bool().optional(),
  /** Newest checkpoints kept; -1 keeps all. Default -1. */
  maxKeepCkpts: z.union([posInt(), z.literal(-1)]).optional(),
  /** A logged metric whose best value is kept as `best_<metric>.pth`. */
  saveBest: str().nullable().optional(),
  rule: z.enum(['greater', 'less']).optional(),
  /** Save at the end of training whatever the interval. Default true. */
  saveLast: bool().optional(),
});
export type CheckpointHookOptions = z.input<typeof checkpointHookSchema>;

/** What the checkpoint hook needs of a runner beyond RunnerView. */
interface CheckpointingRunner extends RunnerView {
  saveCheckpoint(name: string): string | null;
  readonly checkpointDir: string;
}

export class CheckpointHook extends Hook {
  override priority: number = PRIORITY.VERY_LOW;
  private best: number | null = null;
  private bestFile: string | null = null;

  constructor(
    readonly o: CheckpointHookOptions = {},
    iterBased = false,
  ) {
    super();
    this.o = { interval: 1, byEpoch: !iterBased, maxKeepCkpts: -1, saveLast: true, rule: 'greater', ...o };
  }

  override afterTrainIter(runner: CheckpointingRunner): void {
    if (this.o.byEpoch) return;
    const done = runner.progress.iter + 1;
    const last = done === runner.progress.maxIters;
    const every = this.o.interval as number;
    if ((every > 0 && done % every === 0) || (last && this.o.saveLast)) this.save(runner, `iter_${done}.pth`);
  }

  override afterTrainEpoch(runner: CheckpointingRunner): void {
    if (!this.o.byEpoch) return;
    const done = runner.progress.epoch + 1;
    const last = done === runner.progress.maxEpochs || runner.progress.iter + 1 >= runner.progress.maxIters;
    const every = this.o.interval as number;
    if ((every > 0 && done % every === 0) || (last && this.o.saveLast)) this.save(runner, `epoch_${done}.pth`);
  }

  private save(runner: CheckpointingRunner, name: string): void {
    const file = runner.saveCheckpoint(name);
    if (!file) return;
    pruneCheckpoints(runner.checkpointDir, this.o.maxKeepCkpts as number);
    const metric = this.o.saveBest;
    if (!metric) return;
    const value = runner.lastScalars.get(metric);
    if (value === undefined) return;
    const better = this.best === null || (this.o.rule === 'less' ? value < this.best : value > this.best);
    if (!better) return;
    const bestFile = join(runner.checkpointDir, `best_${metric}_${name}`);
    // A PID-named temp: a kill mid-copy leaves one the next run's start removes.
    const tmp = tempPath(bestFile);
    copyFileSync(file, tmp);
    if (this.bestFile && this.bestFile !== bestFile) {
      try {
        unlinkSync(this.bestFile);
      } catch {
        // already gone
      }
    }
    renameSync(tmp, bestFile);
    this.best = value;
    this.bestFile = bestFile;
  }

  override stateDict(): Record<string, unknown> {
    return { best: this.best, bestFile: this.bestFile };
  }

  override loadStateDict(s: Record<string, unknown>): void {
    this.best = typeof s.best === 'number' ? s.best : null;
    this.bestFile = typeof s.bestFile === 'string' ? s.bestFile : null;
  }
}

export const checkpointHookPart = definePart({
  registry: HOOKS,
  name: 'CheckpointHook',
  schema: checkpointHookSchema,
  description: 'atomic checkpoints every interval epochs/iterations, the last, and the best by a logged metric',
  build: (o) => new CheckpointHook(o),
});
