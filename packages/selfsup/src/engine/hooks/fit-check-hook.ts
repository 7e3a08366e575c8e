/**
 * Checks a fitted run's pace against the speed probe its schedule was fitted with
 * (`fitToSeconds`), once, early in the run, and with `refit` re-fits the schedule's length to the
 * pace it measured. The probe times 40 iterations; on a shared machine a burst of other work
 * during those seconds misfits the whole schedule (on the benchmark VM a compile during SimMIM's
 * probe measured 2.99 s per iteration against the run's 1.87, and the run trained 7.3 of its 12
 * minutes), and the same config's probe varies by up to a fifth from one try to the next (MoCo v3:
 * 0.472 and 0.575 s). A schedule fitted too long is cut by the time budget before it anneals; one
 * fitted too short leaves the budget unused.
 *
 * The check times `window` iterations (a fifth of the run, at most 200) after the first `skip`,
 * and records the ratio to the probe as the scalar `fit_pace` (measured / probed seconds per
 * iteration; a progressive-resize schedule is compared size for size, `resize` and `sizeSeconds`).
 * With `refit`, the run's length becomes the most iterations whose remaining time, at the probe's
 * per-size costs times that ratio plus the hooks' time at each epoch boundary to come (as
 * measured at the boundaries crossed: a kNN monitor, a clustering; the probe's epoch-start time
 * before the first), fits what is left of the budget (less `margin`), and the runner re-fits its
 * schedule to it (`RunnerView.refitSchedule`). The check then repeats every window, on the pace
 * of the last three windows: a run's pace drifts (the demo's SimCLR ran 0.229 s per iteration over iterations 17–209 and 0.25–0.27 s
 * later, plus a kNN monitor each epoch the probe never saw), and a length fitted to the first
 * window alone made it 7 % too long, cut by the time budget before it annealed. A re-fit is made
 * only when the length is off by 2 % or more; the first, early, mostly in the warm-up, and later
 * ones small, so the lr curve moves by the ratio of the lengths at a few iterations. A resumed
 * run is not checked: its clock started at the resume.
 */
import { definePart } from '../../core/registry.js';
import { bool, nonNegInt, nonNegNum, posInt, posNum, prob, z } from '../../core/schema.js';
import { HOOKS } from '../registries.js';
import { Hook, PRIORITY, type RunnerView } from './hook.js';
import { progressiveSize, progressiveResizeSchema, sizeSecondsModel } from './progressive-resize-hook.js';

/** `FitCheckHook` options. */
export const fitCheckHookSchema = z
  .strictObject({
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
    /** Re-fit the schedule's length to the measured pace (default false: only report). */
    refit: bool().optional(),
    /** Share of the budget a re-fit leaves for noise (default 0.03, as `fitToSeconds`). */
    margin: prob().optional(),
    /** The hooks' seconds at each epoch's start (DeepCluster's clustering), charged to the epochs to come. */
    epochStartSeconds: nonNegNum().optional(),
    /** The run's progressive-resize schedule (its ProgressiveResizeHook's options), with `sizeSeconds`. */
    resize: progressiveResizeSchema.optional(),
    /** The probe's seconds per iteration at the sizes it timed: [side px, seconds] pairs. */
    sizeSeconds: z
      .array(z.tuple([posInt(), posNum()]))
      .min(1)
      .optional(),
  })
  .refine((o) => (o.resize === undefined) === (o.sizeSeconds === undefined), {
    error: 'resize and sizeSeconds go together (a progressive schedule is costed size by size)',
  });
export type FitCheckHookOptions = z.input<typeof fitCheckHookSchema>;

/** What the check found: seconds per iteration measured over `iters` iterations, and the estimated run length. */
export interface FitCheck {
  secondsPerIter: number;
  iters: number;
  /** measured / probed seconds over the timed iterations. */
  ratio: number;
  /** Seconds the whole schedule will take at the measured pace (hooks' time so far included). */
  estimatedSeconds: number;
  /** Whether |ratio − 1| exceeds the tolerance. */
  off: boolean;
  /** The schedule's new length when the check re-fitted it. */
  refitIters?: number;
}

/** A re-fit that would change the length by less than this share is not made (it would only add a kink). */
export const REFIT_MIN_CHANGE = 0.02;
/** How many of the latest windows the pace is measured over. */
export const PACE_WINDOWS = 3;

export class FitCheckHook extends Hook {
  override priority: number = PRIORITY.LOWEST;
  readonly o: FitCheckHookOptions & { skip: number; tolerance: number; margin: number; epochStartSeconds: number };
  /** The latest check's result (the first one's without `refit`). */
  result: FitCheck | null = null;
  private runStart = 0;
  private seen = 0;
  private last = 0;
  private sumMs = 0;
  /** The probe's seconds for the timed iterations. */
  private expectedSeconds = 0;
  private timed = 0;
  /** The next gap holds an epoch boundary (its hooks: a kNN monitor, DeepCluster's clustering), charged apart. */
  private epochBreak = false;
  /** The last windows' milliseconds, the probe's seconds for them, and their iterations. */
  private readonly windows: { ms: number; expected: number; iters: number }[] = [];
  /** The epoch-boundary gaps seen (seconds), with the iteration after each. */
  private readonly boundaries: { seconds: number; iter: number; maxIters: number }[] = [];
  /** Restored from a checkpoint: no check (the budget's clock restarted). */
  private resumed = false;
  /** The probe's seconds per iteration at a view side (px), for a progressive schedule. */
  private readonly sizeCost?: (size: number) => number;

  /** `now` (ms) is the clock, `performance.now` unless a test drives one. */
  constructor(
    opts: FitCheckHookOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    super();
    const o = fitCheckHookSchema.parse(opts);
    this.o = {
      ...o,
      skip: o.skip ?? 16,
      tolerance: o.tolerance ?? 0.25,
      margin: o.margin ?? 0.03,
      epochStartSeconds: o.epochStartSeconds ?? 0,
    };
    if (o.sizeSeconds) this.sizeCost = sizeSecondsModel(o.sizeSeconds);
  }

  /** The probe's seconds for iteration `i` (0-based) of a schedule of `n` iterations. */
  private probeSeconds(i: number, n: number): number {
    if (!this.sizeCost || !this.o.resize) return this.o.secondsPerIter;
    return this.sizeCost(progressiveSize(this.o.resize, i / n));
  }

  /**
   * Seconds iterations `done`…`n − 1` of a schedule of `n` take at `ratio` × the probe's pace, plus
   * `boundarySeconds` of hooks' work at each of the epoch starts to come (`begun` epochs have).
   */
  private remainingSeconds(
    done: number,
    n: number,
    ratio: number,
    { itersPerEpoch, begun, boundarySeconds }: { itersPerEpoch: number; begun: number; boundarySeconds: number },
  ): number {
    let s = 0;
    if (this.sizeCost) for (let i = done; i < n; i++) s += this.probeSeconds(i, n);
    else s = (n - done) * this.o.secondsPerIter;
    const epochs = boundarySeconds > 0 ? boundarySeconds * Math.max(0, Math.ceil(n / itersPerEpoch) - begun) : 0;
    return ratio * s + epochs;
  }

  /** The most iterations (at least `done + 1`) whose remaining time fits in `seconds`. */
  private fittingIters(
    done: number,
    seconds: number,
    ratio: number,
    epochs: Parameters<FitCheckHook['remainingSeconds']>[3],
  ): number {
    const fits = (n: number) => this.remainingSeconds(done, n, ratio, epochs) <= seconds;
    let lo = done + 1;
    if (!fits(lo)) return lo;
    const cheapest = ratio * Math.min(this.o.secondsPerIter, ...(this.o.sizeSeconds ?? []).map(([, c]) => c));
    let hi = done + Math.ceil(seconds / cheapest) + 2;
    // The remaining time grows with n (more iterations; a progressive schedule's are at most as
    // cheap as its smallest size): bisect for the last n that fits.
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The hooks' seconds at an epoch boundary (the last epoch's end: a kNN monitor; the next one's
   * start: a clustering), as measured: each boundary gap less the one iteration in it at `ratio` ×
   * the probe. Until the run has crossed one, the probe's epoch-start time.
   */
  private boundarySeconds(ratio: number): number {
    if (this.boundaries.length === 0) return this.o.epochStartSeconds;
    let sum = 0;
    for (const b of this.boundaries) sum += Math.max(0, b.seconds - ratio * this.probeSeconds(b.iter, b.maxIters));
    return sum / this.boundaries.length;
  }

  override beforeRun(): void {
    this.runStart = this.now();
  }

  override beforeTrainEpoch(): void {
    this.epochBreak = true;
  }

  override afterTrainIter(runner: RunnerView): void {
    // Without refit the check is made once; with it, again every window (the pace drifts as a run
    // warms up and as the machine's load changes), re-fitting when the length is off by 2 % or more.
    if (this.resumed || (this.result && !this.o.refit)) return;
    const now = this.now();
    const { iter, maxIters, epoch } = runner.progress;
    const window = this.o.window ?? Math.max(2, Math.min(200, Math.floor(maxIters / 5)));
    // The first iteration has no gap before it: at least one end must have been seen.
    if (this.seen++ >= Math.max(1, this.o.skip)) {
      if (this.epochBreak) this.boundaries.push({ seconds: (now - this.last) / 1000, iter, maxIters });
      else {
        this.sumMs += now - this.last;
        this.expectedSeconds += this.probeSeconds(iter, maxIters);
        this.timed++;
      }
    }
    this.epochBreak = false;
    this.last = now;
    if (this.timed < window) return;
    // The pace is that of the last PACE_WINDOWS windows: one window's is noisy on a shared machine
    // (SimCLR's 200-iteration windows ranged over 0.75–0.87× its probe), and re-fitting to each
    // would bend the lr curve back and forth; three follow a drift yet average the noise.
    this.windows.push({ ms: this.sumMs, expected: this.expectedSeconds, iters: this.timed });
    if (this.windows.length > PACE_WINDOWS) this.windows.shift();
    this.sumMs = 0;
    this.expectedSeconds = 0;
    this.timed = 0;
    const sum = (k: 'ms' | 'expected' | 'iters') => this.windows.reduce((a, w) => a + w[k], 0);
    const iters = sum('iters');
    const secondsPerIter = sum('ms') / iters / 1000;
    const ratio = sum('ms') / 1000 / sum('expected');
    const probe = this.sizeCost
      ? `the probe's ${(sum('expected') / iters).toFixed(3)} at those sizes`
      : `the probe's ${this.o.secondsPerIter.toFixed(3)}`;
    const first = this.result === null;
    const done = iter + 1;
    const elapsed = (now - this.runStart) / 1000;
    const epochs = { itersPerEpoch: runner.itersPerEpoch, begun: epoch + 1, boundarySeconds: this.boundarySeconds(ratio) };
    const estimatedSeconds = elapsed + this.remainingSeconds(done, maxIters, ratio, epochs);
    const off = Math.abs(ratio - 1) > this.o.tolerance;
    this.result = {
      secondsPerIter,
      iters,
      ratio,
      estimatedSeconds,
      off,
      ...(this.result?.refitIters ? { refitIters: this.result.refitIters } : {}),
    };
    runner.logScalars({ fit_pace: ratio });
    const pace = `${secondsPerIter.toFixed(3)} s per iteration over ${first ? '' : 'the last '}${iters} iterations against ${probe} (${ratio.toFixed(2)}×)`;
    const budget = `${(this.o.budgetSeconds / 60).toFixed(1)} min`;
    if (this.o.refit) {
      // Every process re-fits to rank 0's length, at the same iteration, or none does.
      const target = this.o.budgetSeconds * (1 - this.o.margin) - elapsed;
      const n = runner.agreeOnNumber(this.fittingIters(done, target, ratio, epochs));
      if (Math.abs(n - maxIters) >= REFIT_MIN_CHANGE * maxIters) {
        runner.refitSchedule(n);
        this.result.refitIters = n;
        runner.logScalars({ fit_iters: n });
        runner.log(
          `selfsup: fit check${first ? '' : ` at iteration ${done}`}: ${pace}; the schedule is re-fitted from ${maxIters} to ${n} iterations to end within the ${budget} budget`,
        );
        return;
      }
    }
    if (!first) return;
    const ends = `the ${maxIters} iterations will take about ${(estimatedSeconds / 60).toFixed(1)} min of the ${budget} fitted`;
    runner.log(
      off
        ? `selfsup: warning: fit check: ${pace}; ${ends}. The probe ran under ${ratio > 1 ? 'less' : 'more'} load than the run: ${ratio > 1 ? 'the time budget will stop the schedule before its end' : 'the schedule will end early'}; to fill the budget, stop and fit again under the load the run will have, or set the FitCheckHook's refit: true.`
        : `selfsup: fit check: ${pace}; ${ends}`,
    );
  }

  override stateDict(): Record<string, unknown> {
    return { checked: this.result !== null };
  }

  override loadStateDict(_state: Record<string, unknown>): void {
    this.resumed = true;
  }
}

export const fitCheckHookPart = definePart({
  registry: HOOKS,
  name: 'FitCheckHook',
  schema: fitCheckHookSchema,
  description:
    "compares a fitted run's pace with its speed probe once, early; warns when it is off by more than `tolerance`, or with `refit` re-fits the schedule's length to the budget",
  build: (o) => new FitCheckHook(o),
});
