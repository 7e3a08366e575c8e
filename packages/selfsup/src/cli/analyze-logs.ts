/**
 * `selfsup analyze-logs`: training curves and statistics from `log.jsonl` files, as MMSelfSup's
 * `tools/analysis_tools/analyze_logs.py` (`plot_curve`, `cal_train_time`) — without matplotlib:
 * charts are the toolbox's own SVG, saved as .svg or rendered to .png.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { printJson, UsageError } from './args.js';
import { type CommandSpec, defineCommand, runCommand, type Values } from './command.js';
import { lineChart, type LineSeries, svgToPng } from '../visualization/charts.js';
import { formatDuration, formatNumber } from '../visualization/format.js';
import { type RunLog, type RunStats, readLog, runStats, seriesOf } from '../visualization/log-records.js';

const USAGE = `usage: selfsup analyze-logs plot <log.jsonl|work_dir>... --keys loss,lr [options]
       selfsup analyze-logs stats <log.jsonl|work_dir>... [--json] [--include-outliers]

plot: draw the given keys of every log in one chart.
  --keys K1,K2        keys to plot (required)
  --mode train|val    records to take them from (default: train if the key is logged there, else val)
  --x iter|epoch      x axis (default: epoch when every curve comes from val records, else iter);
                      ticks fall on whole iterations/epochs
  --right K1,K2       keys drawn against a second y axis on the right, with its own scale
                      (default: the learning-rate keys (lr, lr_*) when other keys are plotted too)
  --out FILE          .png or .svg (default: curves.png)
  --legend A,B,...    one name per (log, key) pair, logs outer (default: key, or run/key for several logs)
  --title TEXT        chart title (a long one wraps onto two lines or loses its middle to "…")
  --width N --height N  chart size in pixels (default 800 x 450)
  --log-y             logarithmic y axis

stats: per run, iterations, epochs, wall time, mean iter_time (first record of each epoch left
out unless --include-outliers, as MMSelfSup's cal_train_time) and, per mode and key,
count/first/last/min/max/mean.
  --json              print the statistics as one JSON object instead of the tables

exit status: 0 ok, 1 a log could not be read or lacks a key, 2 usage error.
`;

const PLOT_OPTIONS = {
  keys: { type: 'string' },
  right: { type: 'string' },
  mode: { type: 'string' },
  x: { type: 'string' },
  out: { type: 'string', default: 'curves.png' },
  legend: { type: 'string' },
  title: { type: 'string' },
  width: { type: 'string', number: { integer: true, min: 64 } },
  height: { type: 'string', number: { integer: true, min: 64 } },
  'log-y': { type: 'boolean' },
} as const;

const STATS_OPTIONS = {
  json: { type: 'boolean' },
  'include-outliers': { type: 'boolean' },
} as const;

export const ANALYZE_LOGS = defineCommand({
  name: 'analyze-logs',
  summary: 'plot or summarise log.jsonl files (curves to PNG/SVG, statistics)',
  usage: USAGE,
  subcommands: [
    defineCommand({
      name: 'plot',
      summary: 'draw keys of log.jsonl files in one chart (PNG/SVG)',
      usage: USAGE,
      args: '[logs...]',
      options: PLOT_OPTIONS,
      run: plot,
    }) as CommandSpec,
    defineCommand({
      name: 'stats',
      summary: 'per-run iterations, wall time, iter_time and per-key statistics',
      usage: USAGE,
      args: '[logs...]',
      options: STATS_OPTIONS,
      run: stats,
    }) as CommandSpec,
  ],
});

/** Learning-rate keys as the runner logs them (`lr`, `lr_backbone`, `lr/head`, …). */
const LR_KEY = /^lr($|[_/.])/;

/** Runs `selfsup analyze-logs <argv>`; returns the process exit code. */
export const analyzeLogs = (argv: string[]): Promise<number> => runCommand(ANALYZE_LOGS, argv);

/** A failure that is the data's or the file system's fault, not the command line's. */
class AnalyzeError extends Error {}

function loadAll(paths: string[]): RunLog[] {
  if (paths.length === 0) throw new UsageError('no log file or work dir given');
  return paths.map((p) => {
    const log = readLog(p);
    for (const w of log.warnings) console.error(`warning: ${w}`);
    return log;
  });
}

/** Short name of a run for legends: its work dir's name, or the file's when it is not `log.jsonl`. */
function runName(path: string): string {
  return basename(path) === 'log.jsonl' ? basename(dirname(path)) || path : basename(path, extname(path));
}

function splitList(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function positiveInt(s: string | undefined, name: string, dflt: number): number {
  if (s === undefined) return dflt;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 64) throw new UsageError(`--${name} must be an integer ≥ 64, got '${s}'`);
  return n;
}

async function plot(o: Values<typeof PLOT_OPTIONS>, positionals: string[]): Promise<number> {
  const outFile = o.out ?? 'curves.png';
  const keys = splitList(o.keys);
  if (keys.length === 0) throw new UsageError('plot needs --keys');
  const right = new Set(o.right !== undefined ? splitList(o.right) : keys.filter((k) => LR_KEY.test(k)));
  for (const k of right) if (!keys.includes(k)) throw new UsageError(`--right names '${k}', which is not in --keys`);
  // Both axes need a key; all keys on the right is the same chart with the axis on the left.
  if (right.size === keys.length) right.clear();
  if (o.mode !== undefined && o.mode !== 'train' && o.mode !== 'val')
    throw new UsageError(`--mode must be train or val, got '${o.mode}'`);
  if (o.x !== undefined && o.x !== 'iter' && o.x !== 'epoch') throw new UsageError(`--x must be iter or epoch, got '${o.x}'`);
  const ext = extname(outFile).toLowerCase();
  if (ext !== '.png' && ext !== '.svg') throw new UsageError(`--out must end in .png or .svg, got '${outFile}'`);
  const width = positiveInt(o.width, 'width', 800);
  const height = positiveInt(o.height, 'height', 450);
  const logs = loadAll(positionals);
  const legend = splitList(o.legend);
  if (o.legend !== undefined && legend.length !== logs.length * keys.length) {
    throw new UsageError(`--legend has ${legend.length} names for ${logs.length} log(s) × ${keys.length} key(s)`);
  }

  const picked: { name: string; key: string; mode: string; iter: number[]; epoch: number[]; y: number[] }[] = [];
  logs.forEach((log, li) => {
    const byMode = { train: seriesOf(log.records, 'train'), val: seriesOf(log.records, 'val') };
    keys.forEach((key, ki) => {
      const mode = o.mode ?? (byMode.train.has(key) ? 'train' : 'val');
      const s = byMode[mode as 'train' | 'val'].get(key);
      if (!s) {
        const available = [...new Set([...byMode.train.keys(), ...byMode.val.keys()])].sort().join(', ');
        throw new AnalyzeError(`key '${key}' is not in the ${mode} records of ${log.path} (logged keys: ${available || 'none'})`);
      }
      const name = legend.length > 0 ? legend[li * keys.length + ki] : logs.length > 1 ? `${runName(log.path)}/${key}` : key;
      picked.push({ name, key, mode, ...s });
    });
  });
  const xAxis = o.x ?? (picked.every((p) => p.mode === 'val') ? 'epoch' : 'iter');
  const series: LineSeries[] = picked.map((p) => ({
    name: p.name,
    x: xAxis === 'epoch' ? p.epoch : p.iter,
    y: p.y,
    axis: right.has(p.key) ? 'right' : 'left',
  }));
  const leftKeys = keys.filter((k) => !right.has(k));
  const svg = lineChart(series, {
    title: o.title,
    xLabel: xAxis === 'epoch' ? 'epoch' : 'iteration',
    yLabel: leftKeys.length === 1 ? leftKeys[0] : undefined,
    y2Label: right.size === 1 ? [...right][0] : undefined,
    integerX: true,
    width,
    height,
    logY: o['log-y'],
  });
  try {
    writeFileSync(outFile, ext === '.svg' ? svg : await svgToPng(svg));
  } catch (e) {
    throw new AnalyzeError(`cannot write ${outFile}: ${(e as Error).message}`);
  }
  // What was written is a note (stderr); the chart is the result.
  console.error(`saved ${outFile} (${series.length} curve${series.length === 1 ? '' : 's'})`);
  return 0;
}

const fmt = formatNumber;
const hms = formatDuration;

function printRun(st: RunStats): void {
  console.log(`${st.path}`);
  console.log(
    `  iterations ${st.iterations}, epochs ${st.epochs}, records ${st.records}, wall time ${hms(st.totalTime)} (${fmt(st.totalTime)} s)`,
  );
  if (st.meanIterTime !== null) {
    console.log(`  mean iter_time ${fmt(st.meanIterTime)} s (std ${fmt(st.stdIterTime)})`);
    if (st.slowestEpoch && st.fastestEpoch) {
      console.log(
        `  slowest epoch ${st.slowestEpoch.epoch} (${fmt(st.slowestEpoch.meanIterTime)} s/iter), fastest epoch ${st.fastestEpoch.epoch} (${fmt(st.fastestEpoch.meanIterTime)} s/iter)`,
      );
    }
  }
  const rows: string[][] = [['mode', 'key', 'count', 'first', 'last', 'min', 'max', 'mean']];
  for (const [mode, keys] of Object.entries(st.modes)) {
    for (const [k, s] of Object.entries(keys))
      rows.push([mode, k, String(s.count), fmt(s.first), fmt(s.last), fmt(s.min), fmt(s.max), fmt(s.mean)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows)
    console.log(`  ${r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}`);
}

function stats(o: Values<typeof STATS_OPTIONS>, positionals: string[]): number {
  const runs = loadAll(positionals).map((log) => runStats(log, { includeOutliers: o['include-outliers'] }));
  // With --json the object is the result, alone on stdout (the stream rule); else the tables.
  if (o.json) {
    printJson({ runs });
    return 0;
  }
  runs.forEach((st, i) => {
    if (i > 0) console.log('');
    printRun(st);
  });
  return 0;
}
