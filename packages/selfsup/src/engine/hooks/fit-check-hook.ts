/**
 * Checks a fitted run's pace against the speed probe its schedule was fitted with
 * (`fitToSeconds`), once, early in the run. The probe times 40 iterations; on a shared machine a
 * burst of other work during those seconds misfits the whole schedule (on the benchmark VM a
 * compile during SimMIM's probe measured 2.99 s per iteration against the run's 1.87, and the run
 * trained 7.3 of its 12 minutes). The schedule is not re-fitted mid-run (that would bend its lr
 * curve); the hook says how far off the fit is and when the run will end, so that a user can stop
 * and fit again, and it records the ratio as the scalar `fit_pace` (measured / probed seconds per
 * iteration) in the run's log.
 */
import { definePart } from '../../core/registry.js';
import { nonNegInt, posInt, posNum, z } from '../../core/schema.js';
import { HOOKS } from '../registries.js';
import { Hook, PRIORITY, type RunnerView } from './hook.js';

/** `FitCheckHook` options. */
export const fitCheckHookSchema = z.strictObject({
  /** The probe's mean seconds per iteration (`FittedSchedule.secondsPerIter`). */
  secondsPerIter: posNum(),
  /** The training budget the schedule was fitted to, in seconds. */
  budgetSeconds: posNum(),
  /** Iterations timed for the check (default 200, fewer when the run is short: a fifth of it). */
  window: posInt().optional(),
  /** Iterations left out first, as the probe leaves out its warm-up (default 16). */
  skip: nonNegInt().optional(),
  /** The relative difference from the probe above which the check warns (default 0.25). */
  tolerance: posNum().optional(),
});
export type FitCheckHookOptions = z.input<typeof fitCheckHookSchema>;

/** What the check found: seconds per iteration measured over `iters` iterations, and the estimated run length. */
export interface FitCheck {
  secondsPerIter: number;
  iters: number;
  /** measured / probed seconds per iteration. */
  ratio: number;
  /** Seconds the whole schedule will take at the measured pace (hooks' time so far included). */
  estimatedSeconds: number;
  /** Whether |ratio − 1| exceeds the tolerance. */
  off: boolean;
}

export class FitCheckHook extends Hook {
  override priority: number = PRIORITY.LOWEST;
  readonly o: Required<Omit<FitCheckHookOptions, 'window'>> & { window?: number };
  /** The check's result once made. */
  result: FitCheck | null = null;
  private runStart = 0;
  private seen = 0;
  private last = 0;
  private sumMs = 0;
  private timed = 0;
  /** The next gap holds an epoch start (its hooks: DeepCluster's clustering), which the probe charges separately. */
  private epochBreak = false;

  /** `now` (ms) is the clock, `performance.now` unless a test drives one. */
  constructor(
    opts: FitCheckHookOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    super();
    const o = fitCheckHookSchema.parse(opts);
    this.o = { ...o, skip: o.skip ?? 16, tolerance: o.tolerance ?? 0.25 };
  }

  override beforeRun(): void {
    this.runStart = this.now();
  }

  override beforeTrainEpoch(): void {
    this.epochBreak = true;
  }

  override afterTrainIter(runner: RunnerView): void {
    if (this.result) return;
    const now = this.now();
    const window = this.o.window ?? Math.max(2, Math.min(200, Math.floor(runner.progress.maxIters / 5)));
    // The first iteration has no gap before it: at least one end must have been seen.
    if (this.seen++ >= Math.max(1, this.o.skip) && !this.epochBreak) {
      this.sumMs += now - this.last;
      this.timed++;
    }
    this.epochBreak = false;
    this.last = now;
    if (this.timed < window) return;
    const secondsPerIter = this.sumMs / this.timed / 1000;
    const ratio = secondsPerIter / this.o.secondsPerIter;
    const done = runner.progress.iter + 1;
    const elapsed = (now - this.runStart) / 1000;
    const estimatedSeconds = elapsed + (runner.progress.maxIters - done) * secondsPerIter;
    this.result = { secondsPerIter, iters: this.timed, ratio, estimatedSeconds, off: Math.abs(ratio - 1) > this.o.tolerance };
    runner.logScalars({ fit_pace: ratio });
    const pace = `${secondsPerIter.toFixed(3)} s per iteration over ${this.timed} iterations against the probe's ${this.o.secondsPerIter.toFixed(3)} (${ratio.toFixed(2)}×)`;
    const ends = `the ${runner.progress.maxIters} iterations will take about ${(estimatedSeconds / 60).toFixed(1)} min of the ${(this.o.budgetSeconds / 60).toFixed(1)} fitted`;
    runner.log(
      this.result.off
        ? `selfsup: warning: fit check: ${pace}; ${ends}. The probe ran under ${ratio > 1 ? 'less' : 'more'} load than the run: ${ratio > 1 ? 'the time budget will stop the schedule before its end' : 'the schedule will end early'}; to fill the budget, stop and fit again under the load the run will have.`
        : `selfsup: fit check: ${pace}; ${ends}`,
    );
  }
}

export const fitCheckHookPart = definePart({
  registry: HOOKS,
  name: 'FitCheckHook',
  schema: fitCheckHookSchema,
  description: "compares a fitted run's pace with its speed probe once, early, and warns when it is off by more than `tolerance`",
  build: (o) => new FitCheckHook(o),
});
