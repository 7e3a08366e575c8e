/**
 * Rescaling a config's schedule in time (no runner, no timing): `fitSchedule` stretches or
 * compresses the whole schedule to a number of iterations (the time-budget fit, `fit-schedule.ts`,
 * and its mid-run re-fit, `Runner.refitSchedule`), `stretchEpochs` to a number of epochs.
 */
import type { Config } from './config/config.js';

type SchedulerEntry = Record<string, unknown>;

/** Scheduler options that are lengths or step positions (scaled with begin/end). */
const PERIOD_KEYS = ['tMax', 'totalIters', 'stepSize', 'milestones'] as const;

/** The schedule's length in iterations (`trainCfg`). */
export function scheduleIters(cfg: Config, itersPerEpoch: number): number {
  const t = cfg.trainCfg;
  return t.type === 'IterBasedTrainLoop' ? (t.maxIters as number) : (t.maxEpochs as number) * itersPerEpoch;
}

/**
 * `cfg` with its schedule stretched or compressed to `maxIters` iterations: every
 * `paramScheduler` entry becomes iteration-based with begin/end/periods scaled by
 * maxIters / (the schedule's length in iterations), epoch-based entries first converted at
 * `itersPerEpoch` (so an entry stepped per epoch becomes one stepped per iteration at the same
 * positions); `trainCfg` becomes an `IterBasedTrainLoop`; checkpoint and kNN-monitor intervals
 * are scaled the same way. lr at fitted iteration i equals the original's at i / scale.
 * Counts inside algorithms (DINO's teacher-temperature warm-up epochs, SwAV's frozen-prototype
 * iterations) are left as they are.
 */
export function fitSchedule(cfg: Config, maxIters: number, itersPerEpoch: number): Config {
  if (!Number.isInteger(maxIters) || maxIters < 1)
    throw new RangeError(`fitSchedule: maxIters must be a positive integer, got ${maxIters}`);
  if (!Number.isInteger(itersPerEpoch) || itersPerEpoch < 1)
    throw new RangeError(`fitSchedule: itersPerEpoch must be a positive integer, got ${itersPerEpoch}`);
  const scale = maxIters / scheduleIters(cfg, itersPerEpoch);
  const epochBasedLoop = cfg.trainCfg.type !== 'IterBasedTrainLoop';

  const paramScheduler = (cfg.paramScheduler ?? []).map((raw, i) => {
    const { convertToIterBased: _, ...e } = raw as SchedulerEntry;
    const perEpoch = e.byEpoch !== false;
    const toIters = (v: number) => (perEpoch ? v * itersPerEpoch : v) * scale;
    const out: SchedulerEntry = { ...e, byEpoch: false };
    const begin = Math.round(toIters(Number(e.begin ?? 0)));
    out.begin = begin;
    // An open end (MMEngine's INF) stays open. A window keeps at least 2 steps (when it had them):
    // LinearLR ramps over end − begin − 1 steps (MMEngine's rule), so 1 would freeze its start factor.
    if (e.end !== undefined && Number(e.end) < 1e9) {
      const span = (perEpoch ? itersPerEpoch : 1) * (Number(e.end) - Number(e.begin ?? 0));
      out.end = Math.max(begin + Math.min(2, span), Math.round(toIters(Number(e.end))));
    }
    for (const k of PERIOD_KEYS) {
      const v = e[k];
      if (typeof v === 'number') out[k] = Math.max(1, Math.round(toIters(v)));
      else if (Array.isArray(v)) out[k] = v.map((m) => Math.round(toIters(Number(m))));
      else if (v !== undefined)
        throw new TypeError(`paramScheduler.${i}.${k}: expected a number or a list, got ${JSON.stringify(v)}`);
    }
    return out as typeof raw;
  });

  const out: Config = { ...cfg, paramScheduler, trainCfg: { type: 'IterBasedTrainLoop', maxIters } };
  const ck = cfg.defaultHooks?.checkpoint;
  if (ck?.interval !== undefined && ck.interval !== -1) {
    const perEpoch = ck.byEpoch ?? epochBasedLoop;
    const every = Math.max(1, Math.round((perEpoch ? ck.interval * itersPerEpoch : ck.interval) * scale));
    out.defaultHooks = { ...cfg.defaultHooks, checkpoint: { ...ck, interval: every, byEpoch: false } };
  }
  if (cfg.knnMonitor?.interval !== undefined)
    out.knnMonitor = { ...cfg.knnMonitor, interval: Math.max(1, Math.round(cfg.knnMonitor.interval * scale)) };
  return out;
}

/**
 * `cfg` run for `epochs` epochs instead of its own number, its schedule stretched in epochs:
 * epoch-stepped scheduler positions (begin, end, periods), the epoch checkpoint interval and the
 * kNN-monitor interval are multiplied by epochs / maxEpochs, while iteration-based entries (a
 * warm-up written in iterations) keep their lengths. This is how a recipe written for a large
 * dataset becomes one for a small folder: one epoch of 16 images is 4 iterations, inside a
 * 50-iteration warm-up; enough epochs make a run that leaves it. Needs an epoch-based loop.
 */
export function stretchEpochs(cfg: Config, epochs: number): Config {
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new RangeError(`stretchEpochs: epochs must be a positive integer, got ${epochs}`);
  if (cfg.trainCfg.type === 'IterBasedTrainLoop')
    throw new RangeError('stretchEpochs: the config trains for a number of iterations (IterBasedTrainLoop), not epochs');
  const factor = epochs / (cfg.trainCfg.maxEpochs as number);
  const paramScheduler = (cfg.paramScheduler ?? []).map((raw) => {
    const e = raw as SchedulerEntry;
    if (e.byEpoch === false) return raw;
    const out: SchedulerEntry = { ...e };
    if (e.begin !== undefined) out.begin = Math.round(Number(e.begin) * factor);
    if (e.end !== undefined && Number(e.end) < 1e9) out.end = Math.max(1, Math.round(Number(e.end) * factor));
    for (const k of PERIOD_KEYS) {
      const v = e[k];
      if (typeof v === 'number') out[k] = Math.max(1, Math.round(v * factor));
      else if (Array.isArray(v)) out[k] = v.map((m) => Math.round(Number(m) * factor));
    }
    return out as typeof raw;
  });
  const out: Config = { ...cfg, paramScheduler, trainCfg: { ...cfg.trainCfg, maxEpochs: epochs } };
  const ck = cfg.defaultHooks?.checkpoint;
  if (ck?.interval !== undefined && ck.interval !== -1 && ck.byEpoch !== false)
    out.defaultHooks = { ...cfg.defaultHooks, checkpoint: { ...ck, interval: Math.max(1, Math.round(ck.interval * factor)) } };
  if (cfg.knnMonitor?.interval !== undefined)
    out.knnMonitor = { ...cfg.knnMonitor, interval: Math.max(1, Math.round(cfg.knnMonitor.interval * factor)) };
  return out;
}
