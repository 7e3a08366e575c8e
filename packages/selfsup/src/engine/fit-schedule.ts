/**
 * Fitting a whole training schedule into a wall-clock budget: the warm-up, the cosine decay, the
 * checkpoint and kNN-monitor intervals are scaled so that the recipe that was written for, say,
 * 100 epochs runs to its end in M minutes, instead of being cut off inside its warm-up (which is
 * what a plain time limit does to a 100-epoch recipe). The number of iterations is measured, not
 * guessed: a few iterations of the real config are timed first (`measureIterSeconds`), then
 * `fitSchedule` rewrites the config to an iteration-based loop of that many iterations. The
 * rewritten config is an ordinary config, so a fitted run is reproducible from its `config.json`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from './config/config.js';
import { fitSchedule } from './schedule-scale.js';
import { Hook, type RunnerView } from './hooks/hook.js';
import {
  ProgressiveResizeHook,
  type ProgressiveResizeOptions,
  progressiveSize,
  sizeSecondsModel,
} from './hooks/progressive-resize-hook.js';
import { HOOKS } from './registries.js';
import { Runner } from './runner.js';

export { fitSchedule, scheduleIters, stretchEpochs } from './schedule-scale.js';

/** Records when each iteration ended. */
class IterClock extends Hook {
  readonly ends: number[] = [];
  override afterTrainIter(): void {
    this.ends.push(performance.now());
  }
}

/**
 * Times the hooks' work at the start of the run and of the first epoch (a clustering hook extracts
 * and clusters the whole dataset there): one instance opens the list of hooks and one closes it,
 * so the gap between their calls is what all the other hooks took.
 */
class HookPointClock extends Hook {
  constructor(readonly marks: { run: number[]; epoch: number[] }) {
    super();
  }
  override beforeRun(): void {
    this.marks.run.push(performance.now());
  }
  override beforeTrainEpoch(): void {
    this.marks.epoch.push(performance.now());
  }
}

/** Seconds between the first two marks (opening and closing clock), 0 when the point was not reached. */
function firstGapSeconds(marks: readonly number[]): number {
  return marks.length >= 2 ? Math.max(0, (marks[1] - marks[0]) / 1000) : 0;
}

/** Holds the input views at one scale (a speed probe at one size of a progressive-resize schedule). */
class FixedInputScale extends Hook {
  constructor(readonly scale: number) {
    super();
  }
  override beforeTrainIter(runner: RunnerView): void {
    runner.setInputScale(this.scale);
  }
}

/** The options of the config's ProgressiveResizeHook, if it has one (checked as the run would check them). */
export function progressiveResizeOf(cfg: Config): ProgressiveResizeOptions | undefined {
  const hooks = cfg.customHooks ?? [];
  const i = hooks.findIndex((c) => c.type === 'ProgressiveResizeHook');
  if (i < 0) return undefined;
  return HOOKS.buildAs(hooks[i], `customHooks.${i}`, ProgressiveResizeHook, 'fitToSeconds').options;
}

export interface SpeedMeasurement {
  /** Mean seconds per iteration, data wait included, after the first (warm-up) iterations. */
  secondsPerIter: number;
  itersPerEpoch: number;
  /** Seconds the hooks took before training began (`beforeRun`: ODC's first clustering). */
  runStartSeconds: number;
  /** Seconds the hooks took at the first epoch's start (`beforeTrainEpoch`: DeepCluster's clustering). */
  epochStartSeconds: number;
}

/** Iterations a speed probe runs by default, and how many of them it leaves out as warm-up. */
export const PROBE_ITERS = 40;
export const PROBE_WARMUP = 16;

/**
 * Mean seconds per iteration from iteration end times (ms, `performance.now()`), over the gaps
 * after the first `warmup` iterations. The mean, not the median: a run pays for its slow
 * iterations too (garbage collection, the loader catching up).
 */
export function windowSecondsPerIter(ends: readonly number[], warmup: number): number {
  const window = ends.slice(warmup);
  if (window.length < 2)
    throw new RangeError(`windowSecondsPerIter: ${ends.length} iterations leave no gap after the warm-up of ${warmup}`);
  return (window[window.length - 1] - window[0]) / (window.length - 1) / 1000;
}

/**
 * Times `iters` iterations of `cfg` as it would train (same data, augmentation and model) in a
 * throwaway work dir, with no checkpoints or kNN monitor, and returns the mean seconds per
 * iteration after the first `warmup`. Nothing of it is kept: the real run re-seeds and rebuilds.
 * The warm-up is long (16 of 40 by default) because a run's first iterations are faster than its
 * steady state: on the 2-core benchmark VM, BYOL's iterations 5–15 took 0.47 s on average, its
 * iterations 5–80 0.51 s, and a 12-minute run 0.55 s. The step itself slows, not the data (the
 * runs waited ~5 ms per iteration for batches). A probe of iterations 5–16 underestimated the 32-px
 * recipes by 8–20 %. With this probe, seven of eight 12-minute runs ended within 0.76–1.10 of their
 * budget (median error +2 %) and one ran 68 % slower than probed: a 24-iteration window on a shared
 * VM is noisy (up to a fifth between tries of one config; docs/benchmarks.md).
 */
export async function measureIterSeconds(
  cfg: Config,
  opts: { iters?: number; warmup?: number; inputScale?: number } = {},
): Promise<SpeedMeasurement> {
  const warmup = opts.warmup ?? PROBE_WARMUP;
  const iters = opts.iters ?? PROBE_ITERS;
  if (iters <= warmup + 1) throw new RangeError(`measureIterSeconds: iters (${iters}) must exceed warmup + 1 (${warmup + 1})`);
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-speed-'));
  try {
    const probe: Config = {
      ...cfg,
      trainCfg: { type: 'IterBasedTrainLoop', maxIters: iters },
      knnMonitor: null,
      // A progressive-resize schedule would ramp within the probe's few iterations: the probe runs
      // at one scale (`inputScale`, default the full size) instead.
      customHooks: (cfg.customHooks ?? []).filter(
        (h) => !['TimeBudgetHook', 'ProgressiveResizeHook', 'FitCheckHook'].includes(h.type),
      ),
      defaultHooks: { ...cfg.defaultHooks, checkpoint: { interval: -1, saveLast: false, saveBest: null } },
      loadFrom: null,
    };
    const runner = new Runner(probe, { workDir: dir, quiet: true });
    const clock = new IterClock();
    runner.hooks.push(clock);
    if (opts.inputScale !== undefined && opts.inputScale !== 1) runner.hooks.unshift(new FixedInputScale(opts.inputScale));
    const marks = { run: [] as number[], epoch: [] as number[] };
    runner.hooks.unshift(new HookPointClock(marks));
    runner.hooks.push(new HookPointClock(marks));
    await runner.train();
    return {
      secondsPerIter: windowSecondsPerIter(clock.ends, warmup),
      itersPerEpoch: runner.itersPerEpoch,
      runStartSeconds: firstGapSeconds(marks.run),
      epochStartSeconds: firstGapSeconds(marks.epoch),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface FittedSchedule {
  cfg: Config;
  maxIters: number;
  /** Mean seconds per iteration over the schedule. */
  secondsPerIter: number;
  itersPerEpoch: number;
  /** Hooks' seconds before training and at each epoch's start, as the probe measured them (see `fittedIters`). */
  runStartSeconds: number;
  epochStartSeconds: number;
  /** A progressive-resize schedule's timed sizes (px) and their seconds per iteration, ascending. */
  sizeSeconds?: [number, number][];
}

/**
 * The sizes a progressive-resize schedule visits and the fraction of training spent at each
 * (sampled at 10,000 evenly spaced points of the schedule), in ascending order of size.
 */
export function progressiveSizeShares(o: ProgressiveResizeOptions): Map<number, number> {
  const points = 10_000;
  const counts = new Map<number, number>();
  for (let i = 0; i < points; i++) {
    const size = progressiveSize(o, (i + 0.5) / points);
    counts.set(size, (counts.get(size) ?? 0) + 1);
  }
  return new Map([...counts].sort((a, b) => a[0] - b[0]).map(([size, n]) => [size, n / points]));
}

/**
 * Mean seconds per iteration of a progressive-resize schedule from the seconds per iteration
 * measured at some of its sizes (`secondsAt`, which must hold the start and end sizes): each size
 * the schedule visits is weighted by its share of training; a size that was not timed is
 * interpolated (`sizeSecondsModel`). Timing every
 * size is better: on a CPU the cost is not smooth in the side (a 28-px ResNet step costs nearly
 * what a 32-px one does, its 7-px stage blocks badly), which a two-point model misses by ~4 %.
 */
export function progressiveSecondsPerIter(o: ProgressiveResizeOptions, secondsAt: ReadonlyMap<number, number>): number {
  for (const size of [o.startSize, o.endSize]) {
    if (!secondsAt.has(size)) throw new RangeError(`progressiveSecondsPerIter: no timing for the ${size}-px size`);
  }
  const costAt = sizeSecondsModel([...secondsAt]);
  let mean = 0;
  for (const [size, share] of progressiveSizeShares(o)) mean += share * costAt(size);
  return mean;
}

/** Sizes of a progressive schedule to time: all of them up to `max`, else `max` spread evenly (start and end included). */
function sizesToTime(o: ProgressiveResizeOptions, max = 6): number[] {
  const sizes = [...progressiveSizeShares(o).keys()];
  if (sizes.length <= max) return sizes;
  return [...new Set(Array.from({ length: max }, (_, i) => sizes[Math.round((i * (sizes.length - 1)) / (max - 1))]))];
}

/**
 * `fit`'s hook time for a log line when there is any worth a mention (0.5 s or more), e.g.
 * ` + 56.2 s of hooks per epoch start`; '' without.
 */
export function describeHookSeconds(fit: Pick<FittedSchedule, 'runStartSeconds' | 'epochStartSeconds'>): string {
  const parts = [];
  if (fit.runStartSeconds >= 0.5) parts.push(`${fit.runStartSeconds.toFixed(1)} s of hooks before training`);
  if (fit.epochStartSeconds >= 0.5) parts.push(`${fit.epochStartSeconds.toFixed(1)} s of hooks per epoch start`);
  return parts.map((p) => ` + ${p}`).join('');
}

/** `fit`'s per-size timings for a log line, e.g. ` (mean over 16 px 0.121 s, 32 px 0.350 s)`; '' without. */
export function describeSizeSeconds(fit: Pick<FittedSchedule, 'sizeSeconds'>): string {
  if (!fit.sizeSeconds?.length) return '';
  return ` (mean over ${fit.sizeSeconds.map(([size, sec]) => `${size} px ${sec.toFixed(3)} s`).join(', ')})`;
}

/**
 * The most iterations N that fit in `seconds`: N · secondsPerIter, plus the hooks' start-of-run
 * time once, plus their epoch-start time at each of the ⌈N / itersPerEpoch⌉ epochs begun. The
 * epoch-start time measured at the first epoch is charged to every epoch: right for DeepCluster,
 * which clusters every epoch; an over-charge for hooks whose first epoch does more than later ones.
 * At least 1.
 */
export function fittedIters(
  seconds: number,
  m: Pick<SpeedMeasurement, 'secondsPerIter' | 'itersPerEpoch' | 'runStartSeconds' | 'epochStartSeconds'>,
): number {
  if (!(m.secondsPerIter > 0)) throw new RangeError(`fittedIters: secondsPerIter must be positive, got ${m.secondsPerIter}`);
  const cost = (n: number) => n * m.secondsPerIter + m.runStartSeconds + Math.ceil(n / m.itersPerEpoch) * m.epochStartSeconds;
  // The per-epoch charge spread over the iterations gives a lower bound; step up while the next fits.
  let n = Math.max(
    1,
    Math.floor((seconds - m.runStartSeconds - m.epochStartSeconds) / (m.secondsPerIter + m.epochStartSeconds / m.itersPerEpoch)),
  );
  while (cost(n + 1) <= seconds) n++;
  return n;
}

/**
 * Measures the speed of `cfg` and fits its schedule into `seconds` of training (with `margin`,
 * default 3 %, left for noise), the hooks' work at the run's and each epoch's start included
 * (`fittedIters`). The caller keeps a TimeBudgetHook as the
 * hard stop in case the machine slows down. A config with a ProgressiveResizeHook is timed at
 * every size its schedule visits (at most six, the rest interpolated: `progressiveSecondsPerIter`);
 * a smaller size runs proportionally more probe iterations (up to 4×), so that each probe lasts
 * long enough for the loader workers, which compete with the step for the cores, to reach their
 * steady state. The fitted config carries a FitCheckHook, which compares the run's pace with the
 * probe's after its first iterations (a fifth of the run, at most 200) and re-fits the schedule's
 * length to the pace it measured (`refit: true`), so that a probe misled by a burst of other work
 * neither cuts the schedule before it anneals nor leaves the budget unused.
 */
export async function fitToSeconds(
  cfg: Config,
  seconds: number,
  opts: { margin?: number; iters?: number } = {},
): Promise<FittedSchedule> {
  if (!(seconds > 0)) throw new RangeError(`fitToSeconds: seconds must be positive, got ${seconds}`);
  const resize = progressiveResizeOf(cfg);
  const iters = opts.iters ?? PROBE_ITERS;
  // A shorter probe keeps the default warm-up's share of it (16 of 40).
  const warmupOf = (n: number) => Math.min(PROBE_WARMUP, Math.floor((n * 2) / 5));
  const full = await measureIterSeconds(cfg, { iters, warmup: warmupOf(iters) });
  const { itersPerEpoch } = full;
  let secondsPerIter = full.secondsPerIter;
  let sizeSeconds: [number, number][] | undefined;
  if (resize && resize.startSize !== resize.endSize) {
    const secondsAt = new Map([[resize.endSize, full.secondsPerIter]]);
    for (const size of sizesToTime(resize)) {
      if (size === resize.endSize) continue;
      const scale = size / resize.endSize;
      const n = Math.ceil(iters * Math.min(4, scale ** -2));
      const probe = await measureIterSeconds(cfg, { iters: n, warmup: warmupOf(n), inputScale: scale });
      secondsAt.set(size, probe.secondsPerIter);
    }
    secondsPerIter = progressiveSecondsPerIter(resize, secondsAt);
    sizeSeconds = [...secondsAt].sort((a, b) => a[0] - b[0]);
  }
  const { runStartSeconds, epochStartSeconds } = full;
  const maxIters = fittedIters(seconds * (1 - (opts.margin ?? 0.03)), {
    secondsPerIter,
    itersPerEpoch,
    runStartSeconds,
    epochStartSeconds,
  });
  const fitted = fitSchedule(cfg, maxIters, itersPerEpoch);
  // The run checks its pace against this probe early on and re-fits its length to what it
  // measures (fitting again replaces an earlier check).
  const check = {
    type: 'FitCheckHook' as const,
    secondsPerIter,
    budgetSeconds: seconds,
    refit: true,
    epochStartSeconds,
    ...(opts.margin !== undefined ? { margin: opts.margin } : {}),
    ...(resize && sizeSeconds ? { resize, sizeSeconds } : {}),
  };
  fitted.customHooks = [...(fitted.customHooks ?? []).filter((h) => h.type !== 'FitCheckHook'), check];
  return {
    cfg: fitted,
    maxIters,
    secondsPerIter,
    itersPerEpoch,
    runStartSeconds,
    epochStartSeconds,
    sizeSeconds,
  };
}
