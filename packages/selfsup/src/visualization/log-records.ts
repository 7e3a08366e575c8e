/**
 * Reading a run's `log.jsonl` (one JSON record per logging step, written by the logger hook) and
 * summarising it: per-key statistics and iteration timing, as MMSelfSup's `tools/analysis_tools/
 * analyze_logs.py` (`cal_train_time`) reports them.
 *
 * Record format: `{"mode":"train","epoch":1,"iter":20,"time":1732860000.1,"lr":0.3,"loss":4.12,…}`;
 * `epoch` and `iter` are 1-based (iter is the global iteration), `time` is unix seconds and every
 * other key is a scalar (`null` stands for a non-finite value, as `JSON.stringify(NaN)` writes it).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One parsed log line. */
export interface LogRecord {
  mode: string;
  epoch: number;
  iter: number;
  time: number;
  /** Every scalar key other than mode/epoch/iter/time; `null` in the file becomes NaN. */
  values: Record<string, number>;
}

/** A parsed log file: its records in file order and warnings about what was skipped. */
export interface RunLog {
  path: string;
  records: LogRecord[];
  warnings: string[];
}

/** A log that cannot be read or parsed; the message names the file (and line). */
export class LogReadError extends Error {
  override name = 'LogReadError';
}

const META = new Set(['mode', 'epoch', 'iter', 'time']);

/** `log.jsonl` inside a work dir, or the path itself when it is a file (or does not exist). */
export function resolveLogPath(pathOrWorkDir: string): string {
  try {
    if (statSync(pathOrWorkDir).isDirectory()) return join(pathOrWorkDir, 'log.jsonl');
  } catch {
    // Not there: readLog reports it with the path the user gave.
  }
  return pathOrWorkDir;
}

function parseRecord(raw: unknown, where: string): LogRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LogReadError(`${where}: not a JSON object`);
  const o = raw as Record<string, unknown>;
  if (typeof o.mode !== 'string') throw new LogReadError(`${where}: "mode" must be a string`);
  for (const k of ['epoch', 'iter', 'time'] as const) {
    if (typeof o[k] !== 'number') throw new LogReadError(`${where}: "${k}" must be a number`);
  }
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) {
    if (META.has(k)) continue;
    if (typeof v === 'number') values[k] = v;
    else if (v === null) values[k] = Number.NaN;
  }
  return { mode: o.mode, epoch: o.epoch as number, iter: o.iter as number, time: o.time as number, values };
}

/**
 * Reads and parses a `log.jsonl` (or a work dir's). A last line that does not parse — a run killed
 * mid-write — is dropped with a warning; a bad line anywhere else is an error naming `file:line`.
 * Blank lines are ignored. Throws {@link LogReadError} when the file cannot be read.
 */
export function readLog(pathOrWorkDir: string): RunLog {
  const path = resolveLogPath(pathOrWorkDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LogReadError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  const records: LogRecord[] = [];
  const warnings: string[] = [];
  for (let i = 0; i <= last; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      if (i === last) {
        warnings.push(`${path}:${i + 1}: ignoring truncated last line (${line.length} characters)`);
        continue;
      }
      throw new LogReadError(`${path}:${i + 1}: not valid JSON`);
    }
    records.push(parseRecord(raw, `${path}:${i + 1}`));
  }
  return { path, records, warnings };
}

/** Summary of one key's finite values (NaN/null entries are not counted). */
export interface KeyStats {
  count: number;
  first: number | null;
  last: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
}

/** Summary of a run: size, timing and per-mode, per-key statistics. */
export interface RunStats {
  path: string;
  /** Largest global iteration logged. */
  iterations: number;
  /** Largest epoch logged. */
  epochs: number;
  records: number;
  /**
   * Mean of `iter_time` over train records, the first record of each epoch excluded (it carries
   * data-loader start-up), unless `includeOutliers`. Null when no record has `iter_time`.
   */
  meanIterTime: number | null;
  stdIterTime: number | null;
  slowestEpoch: { epoch: number; meanIterTime: number } | null;
  fastestEpoch: { epoch: number; meanIterTime: number } | null;
  /** Seconds between the earliest and the latest record's `time`. */
  totalTime: number;
  /** `modes[mode][key]`. */
  modes: Record<string, Record<string, KeyStats>>;
}

/** First/last/min/max/mean of the finite numbers in `xs`. */
export function keyStats(xs: readonly number[]): KeyStats {
  const f = xs.filter(Number.isFinite);
  if (f.length === 0) return { count: 0, first: null, last: null, min: null, max: null, mean: null };
  let sum = 0;
  let min = f[0];
  let max = f[0];
  for (const v of f) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count: f.length, first: f[0], last: f[f.length - 1], min, max, mean: sum / f.length };
}

/** Per-key values of the records of one mode, in order. */
export function seriesOf(
  records: readonly LogRecord[],
  mode?: string,
): Map<string, { iter: number[]; epoch: number[]; y: number[] }> {
  const out = new Map<string, { iter: number[]; epoch: number[]; y: number[] }>();
  for (const r of records) {
    if (mode !== undefined && r.mode !== mode) continue;
    for (const [k, v] of Object.entries(r.values)) {
      let s = out.get(k);
      if (!s) out.set(k, (s = { iter: [], epoch: [], y: [] }));
      s.iter.push(r.iter);
      s.epoch.push(r.epoch);
      s.y.push(v);
    }
  }
  return out;
}

/** Statistics of a parsed run (see {@link RunStats}). */
export function runStats(log: RunLog, opts: { includeOutliers?: boolean } = {}): RunStats {
  const recs = log.records;
  const modes: Record<string, Record<string, KeyStats>> = {};
  for (const mode of [...new Set(recs.map((r) => r.mode))]) {
    modes[mode] = {};
    for (const [k, s] of seriesOf(recs, mode)) modes[mode][k] = keyStats(s.y);
  }
  const perEpoch = new Map<number, number[]>();
  for (const r of recs) {
    if (r.mode !== 'train' || !Number.isFinite(r.values.iter_time)) continue;
    let list = perEpoch.get(r.epoch);
    if (!list) perEpoch.set(r.epoch, (list = []));
    list.push(r.values.iter_time);
  }
  const times: number[] = [];
  let slowest: RunStats['slowestEpoch'] = null;
  let fastest: RunStats['fastestEpoch'] = null;
  for (const [epoch, list] of perEpoch) {
    const kept = opts.includeOutliers || list.length === 1 ? list : list.slice(1);
    times.push(...kept);
    const m = kept.reduce((a, b) => a + b, 0) / kept.length;
    if (!slowest || m > slowest.meanIterTime) slowest = { epoch, meanIterTime: m };
    if (!fastest || m < fastest.meanIterTime) fastest = { epoch, meanIterTime: m };
  }
  const mean = times.length > 0 ? times.reduce((a, b) => a + b, 0) / times.length : null;
  const std = mean === null ? null : Math.sqrt(times.reduce((a, t) => a + (t - mean) ** 2, 0) / times.length);
  return {
    path: log.path,
    iterations: recs.reduce((m, r) => Math.max(m, r.iter), 0),
    epochs: recs.reduce((m, r) => Math.max(m, r.epoch), 0),
    records: recs.length,
    meanIterTime: mean,
    stdIterTime: std,
    slowestEpoch: slowest,
    fastestEpoch: fastest,
    totalTime:
      recs.length > 0
        ? recs.reduce((m, r) => Math.max(m, r.time), Number.NEGATIVE_INFINITY) -
          recs.reduce((m, r) => Math.min(m, r.time), Number.POSITIVE_INFINITY)
        : 0,
    modes,
  };
}
