/**
 * The logger (MMEngine's LoggerHook + LocalVisBackend + TensorboardVisBackend): every `interval`
 * iterations and at the end of each epoch, the mean of the loss terms over the window, the lr,
 * data-wait and iteration time and images/s go to the console (with ETA), to `log.jsonl` (one
 * JSON record per line) and to TensorBoard event files, from rank 0 only. Between log lines a
 * progress bar redraws on a terminal.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '@selfsup/torch';
import { dirname, join } from 'node:path';
import { SummaryWriter } from '../logging/tensorboard.js';
import { formatDuration, Progress } from '../../core/progress.js';
import { definePart } from '../../core/registry.js';
import { posInt, z } from '../../core/schema.js';
import { HOOKS } from '../registries.js';
import { Hook, type IterOutputs, PRIORITY, type RunnerView } from './hook.js';

/** `LoggerHook` options (MMEngine's `default_hooks.logger`). */
export const loggerHookSchema = z.strictObject({
  /** Iterations between log records (default 10). */
  interval: posInt().optional(),
});
export type LoggerHookOptions = z.input<typeof loggerHookSchema>;

/** What a runner offers the logger beyond RunnerView (drained scalars, quiet mode). */
interface LoggingRunner extends RunnerView {
  drainScalars?(): { values: Record<string, number>; kind: 'train' | 'val' }[];
  readonly quiet?: boolean;
}

export class LoggerHook extends Hook {
  override priority: number = PRIORITY.BELOW_NORMAL;
  readonly interval: number;
  private sums = new Map<string, number>();
  private count = 0;
  private images = 0;
  private dataMs = 0;
  private iterMs = 0;
  private windowStart = 0;
  private runStart = 0;
  private itersAtStart = 0;
  private tb: SummaryWriter | null = null;
  private logFile = '';
  private bar: Progress | null = null;
  /** Progress at the last trained iteration (the runner has moved on when the run ends). */
  private last = { iter: 0, epoch: 0 };

  constructor(opts: LoggerHookOptions = {}) {
    super();
    this.interval = opts.interval ?? 10;
  }

  override beforeRun(runner: LoggingRunner): void {
    this.runStart = performance.now();
    this.windowStart = this.runStart;
    this.itersAtStart = runner.progress.iter;
    if (runner.rank !== 0) return;
    mkdirSync(runner.workDir, { recursive: true });
    this.logFile = join(runner.workDir, 'log.jsonl');
    if (this.itersAtStart > 0) this.truncateLog(this.itersAtStart);
    this.tb = new SummaryWriter(join(runner.workDir, 'tensorboard'));
    // Off a terminal the Epoch(train) lines are the progress: no plain bar lines besides them.
    this.bar = new Progress('train', runner.progress.maxIters - this.itersAtStart, {
      enabled: !runner.quiet,
      plainEverySeconds: 0,
    });
  }

  override afterTrainIter(runner: LoggingRunner, out: IterOutputs): void {
    this.add('loss', out.loss);
    for (const [k, v] of Object.entries(out.output.logs)) if (k !== 'loss') this.add(k, v);
    this.count++;
    this.images += out.batchSize * runner.worldSize;
    this.dataMs += out.dataWaitMs;
    this.iterMs += out.iterMs + out.dataWaitMs;
    const { iter, epoch, maxIters } = runner.progress;
    this.last = { iter, epoch };
    const inEpoch = iter - epoch * runner.itersPerEpoch + 1;
    const eta = this.eta(iter + 1, maxIters);
    // The total follows a schedule re-fitted mid-run (FitCheckHook).
    this.bar?.update(
      iter + 1 - this.itersAtStart,
      { epoch: `${epoch + 1}/${runner.progress.maxEpochs}`, loss: (this.sums.get('loss') ?? 0) / Math.max(1, this.count) },
      maxIters - this.itersAtStart,
    );
    if ((iter + 1) % this.interval === 0 || inEpoch === runner.itersPerEpoch || iter + 1 === maxIters) this.emit(runner, eta);
  }

  override afterTrainEpoch(runner: LoggingRunner): void {
    this.flushScalars(runner);
  }

  override afterRun(runner: LoggingRunner): void {
    if (this.count > 0) this.emit(runner, 0);
    this.flushScalars(runner);
    this.bar?.clear();
    this.tb?.close();
  }

  /**
   * A resume from an earlier checkpoint retrains iterations the log already holds: records past
   * the resumed iteration move to `log.superseded.jsonl` (kept, not counted by analyze-logs), so
   * `log.jsonl` has one record per logged iteration. The rewrite is atomic.
   */
  private truncateLog(resumedIter: number): void {
    if (!existsSync(this.logFile)) return;
    const lines = readFileSync(this.logFile, 'utf8').split('\n');
    const keep: string[] = [];
    const drop: string[] = [];
    for (const line of lines) {
      if (line.trim() === '') continue;
      let iter: unknown;
      try {
        iter = (JSON.parse(line) as { iter?: unknown }).iter;
      } catch {
        // A line cut by a kill mid-write belongs to no iteration.
        drop.push(line);
        continue;
      }
      (typeof iter === 'number' && iter > resumedIter ? drop : keep).push(line);
    }
    if (drop.length === 0) return;
    appendFileSync(join(dirname(this.logFile), 'log.superseded.jsonl'), `${drop.join('\n')}\n`);
    writeFileAtomic(this.logFile, (fd) => {
      if (keep.length > 0) writeSync(fd, `${keep.join('\n')}\n`);
    });
  }

  private add(k: string, v: number): void {
    this.sums.set(k, (this.sums.get(k) ?? 0) + v);
  }

  private eta(done: number, total: number): number {
    const per = (performance.now() - this.runStart) / 1000 / Math.max(1, done - this.itersAtStart);
    return per * (total - done);
  }

  private emit(runner: LoggingRunner, eta: number): void {
    const { iter, epoch } = this.last;
    const { maxEpochs } = runner.progress;
    const secs = (performance.now() - this.windowStart) / 1000;
    const record: Record<string, number | string> = {
      mode: 'train',
      epoch: epoch + 1,
      iter: iter + 1,
      time: Date.now() / 1000,
      lr: runner.optimWrapper.getLr().lr[0],
    };
    for (const [k, v] of this.sums) record[k] = v / this.count;
    record.data_time = this.dataMs / this.count / 1000;
    record.iter_time = this.iterMs / this.count / 1000;
    record.imgs_per_sec = secs > 0 ? this.images / secs : 0;
    this.write(runner, record);
    if (runner.rank === 0 && !runner.quiet) {
      this.bar?.clear();
      const terms = [...this.sums.keys()].map((k) => `${k}: ${(record[k] as number).toFixed(4)}`).join('  ');
      console.error(
        `Epoch(train) [${epoch + 1}/${maxEpochs}][${iter + 1 - epoch * runner.itersPerEpoch}/${runner.itersPerEpoch}]  ` +
          `lr: ${(record.lr as number).toExponential(3)}  eta: ${formatDuration(eta)}  time: ${(record.iter_time as number).toFixed(3)}  ` +
          `data_time: ${(record.data_time as number).toFixed(3)}  imgs/s: ${(record.imgs_per_sec as number).toFixed(1)}  ${terms}`,
      );
    }
    this.sums.clear();
    this.count = 0;
    this.images = 0;
    this.dataMs = 0;
    this.iterMs = 0;
    this.windowStart = performance.now();
    this.flushScalars(runner);
  }

  /** Writes scalars other hooks logged (kNN accuracy, …) as their own records. */
  private flushScalars(runner: LoggingRunner): void {
    const drained = runner.drainScalars?.() ?? [];
    const { iter, epoch } = runner.progress;
    for (const { values, kind } of drained) {
      const record: Record<string, number | string> = { mode: kind, epoch: epoch + 1, iter, time: Date.now() / 1000, ...values };
      this.write(runner, record);
      if (runner.rank === 0 && !runner.quiet) {
        this.bar?.clear();
        console.error(
          `Epoch(${kind}) [${epoch + 1}]  ${Object.entries(values)
            .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
            .join('  ')}`,
        );
      }
    }
  }

  private write(runner: RunnerView, record: Record<string, number | string>): void {
    if (runner.rank !== 0) return;
    appendFileSync(this.logFile, `${JSON.stringify(record)}\n`);
    const prefix = record.mode === 'val' ? 'val/' : 'train/';
    this.tb?.addScalars(
      Object.fromEntries(Object.entries(record).filter(([k]) => !['mode', 'epoch', 'iter', 'time'].includes(k))),
      Number(record.iter),
      { prefix, wallTime: Number(record.time) },
    );
  }
}

export const loggerHookPart = definePart({
  registry: HOOKS,
  name: 'LoggerHook',
  schema: loggerHookSchema,
  description: 'console progress, log.jsonl records and TensorBoard scalars every interval iterations',
  build: (o) => new LoggerHook(o),
});
