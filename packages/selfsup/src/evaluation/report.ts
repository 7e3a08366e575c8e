/**
 * `report.html`: one self-contained page per run, written into the work dir — training curves
 * (loss terms, learning rate, other logged scalars), online kNN accuracy over epochs, a t-SNE map
 * of the learned features, the augmented views the model saw, the benchmark table, timings and the
 * resolved config. Everything is inline (SVG charts, base64 PNGs, CSS) and a Content-Security-
 * Policy forbids any fetch, so the file opens offline and can be archived or mailed as it is.
 */
import { readFileSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as torch from '@selfsup/torch';
import { lineChart, type LineSeries, scatterChart } from '../visualization/charts.js';
import { formatDuration, formatNumber } from '../visualization/format.js';
import { type RunLog, readLog, runStats, seriesOf } from '../visualization/log-records.js';
import { escapeXml } from '../visualization/svg.js';

/** What a run adds to the report besides its `config.json` and `log.jsonl`. */
export interface ReportExtras {
  /** A 2-D embedding: `coords` is (N, 2) row-major (x0, y0, x1, y1, …), one label per point. */
  tsne?: { coords: Float64Array; labels: number[]; classNames?: string[] };
  /** A PNG grid of augmented views (e.g. from the views visualiser). */
  viewsPng?: Buffer;
  /** A PNG grid of masked-image-modelling reconstructions (original / masked / reconstruction / + visible). */
  reconstructionPng?: Buffer;
  /**
   * Benchmark results, rendered as tables: a record of records of scalars becomes a matrix
   * (e.g. `{ knn: { ssl: { top1, top5 }, random: {…}, pixels: {…} }, linear: {…} }`), a record of
   * scalars a two-column table, anything deeper nested sections.
   */
  evaluation?: Record<string, unknown>;
  /** Named durations in seconds (e.g. `{ pretrain: 812.4, knn: 21.3 }`). */
  timings?: Record<string, number>;
}

const CSS = `
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1400px; padding: 16px 24px; color: #222; background: #fafafa; }
h1 { font-size: 22px; margin: 8px 0 2px; } h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 28px; }
h3 { font-size: 15px; margin: 16px 0 6px; } .sub { color: #666; margin: 0 0 12px; font-size: 13px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; } .charts svg, .figure svg { background: #fff; border: 1px solid #e2e2e2; max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; background: #fff; margin: 4px 0 8px; }
th, td { border: 1px solid #ddd; padding: 4px 10px; } th { background: #f0f0f0; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img.views { max-width: 100%; image-rendering: pixelated; border: 1px solid #e2e2e2; background: #fff; }
details { background: #fff; border: 1px solid #e2e2e2; padding: 6px 10px; } pre { font-size: 12px; overflow-x: auto; margin: 6px 0; }
.note { color: #777; font-style: italic; }
`;

type Scalar = number | string | boolean | null;

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function cell(v: unknown): string {
  if (typeof v === 'number') return `<td class="num">${escapeXml(formatNumber(v))}</td>`;
  if (isScalar(v)) return `<td>${escapeXml(v === null ? '-' : String(v))}</td>`;
  return `<td>${escapeXml(JSON.stringify(v))}</td>`;
}

/** A value of `evaluation` as HTML tables (see {@link ReportExtras.evaluation}). */
function renderValue(v: unknown, depth: number): string {
  if (!isRecord(v)) return `<p>${escapeXml(isScalar(v) ? String(v) : JSON.stringify(v))}</p>`;
  const entries = Object.entries(v);
  if (entries.every(([, x]) => isScalar(x))) {
    return `<table><tbody>${entries.map(([k, x]) => `<tr><th>${escapeXml(k)}</th>${cell(x)}</tr>`).join('')}</tbody></table>`;
  }
  if (entries.every(([, x]) => isRecord(x) && Object.values(x).every(isScalar))) {
    const cols = [...new Set(entries.flatMap(([, x]) => Object.keys(x as Record<string, unknown>)))];
    const head = `<tr><th></th>${cols.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr>`;
    const body = entries
      .map(
        ([k, x]) =>
          `<tr><th>${escapeXml(k)}</th>${cols.map((c) => cell((x as Record<string, unknown>)[c] ?? null)).join('')}</tr>`,
      )
      .join('');
    return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
  }
  const h = `h${Math.min(6, depth + 3)}`;
  return entries.map(([k, x]) => `<${h}>${escapeXml(k)}</${h}>${renderValue(x, depth + 1)}`).join('');
}

function chartsOf(log: RunLog): { curves: string[]; val: string[] } {
  const train = seriesOf(log.records, 'train');
  const val = seriesOf(log.records, 'val');
  const curves: string[] = [];
  const used = new Set<string>();
  const group = (pred: (k: string) => boolean) => [...train.keys()].filter((k) => !used.has(k) && pred(k));
  const add = (keys: string[], title: string, yLabel: string, opts: { logY?: boolean; width?: number } = {}) => {
    if (keys.length === 0) return;
    for (const k of keys) used.add(k);
    const series: LineSeries[] = keys.map((k) => ({ name: k, x: train.get(k)!.iter, y: train.get(k)!.y }));
    curves.push(
      lineChart(series, { title, xLabel: 'iteration', yLabel, width: opts.width ?? 640, height: 340, logY: opts.logY }),
    );
  };
  add(
    group((k) => k.includes('loss')),
    'Loss',
    'loss',
  );
  add(
    group((k) => /^lr($|[_/.])/.test(k)),
    'Learning rate',
    'lr',
  );
  add(
    group((k) => k.endsWith('_time')),
    'Time per iteration',
    'seconds',
    { width: 460 },
  );
  for (const k of group(() => true)) add([k], k, k, { width: 460 });

  const valCharts: string[] = [];
  const accKeys = [...val.keys()].filter((k) => /top\d|acc/i.test(k));
  const toSeries = (keys: string[]) => keys.map((k) => ({ name: k, x: val.get(k)!.epoch, y: val.get(k)!.y }));
  if (accKeys.length > 0) {
    valCharts.push(
      lineChart(toSeries(accKeys), { title: 'Online kNN accuracy', xLabel: 'epoch', yLabel: 'accuracy (%)', height: 340 }),
    );
  }
  for (const k of [...val.keys()].filter((k) => !accKeys.includes(k))) {
    valCharts.push(lineChart(toSeries([k]), { title: k, xLabel: 'epoch', yLabel: k, width: 460, height: 340 }));
  }
  return { curves, val: valCharts };
}

function summaryTable(log: RunLog): string {
  const st = runStats(log);
  const rows: [string, string][] = [
    ['iterations', formatNumber(st.iterations)],
    ['epochs', formatNumber(st.epochs)],
    ['wall time', `${formatDuration(st.totalTime)} (${formatNumber(st.totalTime)} s)`],
  ];
  if (st.meanIterTime !== null) rows.push(['mean iter_time', `${formatNumber(st.meanIterTime)} s`]);
  for (const [mode, keys] of Object.entries(st.modes)) {
    for (const [k, s] of Object.entries(keys)) {
      if (mode === 'train' && !k.includes('loss')) continue;
      rows.push([
        `${mode} ${k}: last / ${mode === 'train' ? 'min' : 'max'}`,
        `${formatNumber(s.last)} / ${formatNumber(mode === 'train' ? s.min : s.max)}`,
      ]);
    }
  }
  return `<table class="summary"><tbody>${rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td class="num">${escapeXml(v)}</td></tr>`).join('')}</tbody></table>`;
}

function readConfig(workDir: string): { config: unknown; note?: string } {
  const path = join(workDir, 'config.json');
  try {
    return { config: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      config: undefined,
      note: code === 'ENOENT' ? 'config.json not found' : `config.json unreadable: ${(e as Error).message}`,
    };
  }
}

function readRunLog(workDir: string): { log: RunLog; note?: string } {
  const path = join(workDir, 'log.jsonl');
  try {
    const log = readLog(path);
    return { log, note: log.warnings.length > 0 ? log.warnings.join('; ') : undefined };
  } catch (e) {
    return { log: { path, records: [], warnings: [] }, note: (e as Error).message };
  }
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${escapeXml(title)}</h2>${body}</section>`;
}

/** Name of the algorithm in a resolved config (`model.type`, else a top-level `type`). */
function algorithmName(config: unknown): string | undefined {
  if (!isRecord(config)) return undefined;
  const model = config.model;
  if (isRecord(model) && typeof model.type === 'string') return model.type;
  return typeof config.type === 'string' ? config.type : undefined;
}

/** The report as an HTML string (what {@link writeReport} writes). */
export function renderReport(workDir: string, extras: ReportExtras = {}): string {
  const dir = resolve(workDir);
  const { config, note: configNote } = readConfig(dir);
  const { log, note: logNote } = readRunLog(dir);
  const name = basename(dir);
  const algo = algorithmName(config);
  const parts: string[] = [];
  parts.push(
    `<header><h1>${escapeXml(algo ? `${algo}: ${name}` : name)}</h1><p class="sub">${escapeXml(dir)} · report written ${escapeXml(new Date().toISOString())}</p></header>`,
  );
  if (log.records.length > 0) {
    parts.push(section('summary', 'Summary', summaryTable(log) + (logNote ? `<p class="note">${escapeXml(logNote)}</p>` : '')));
    const { curves, val } = chartsOf(log);
    if (curves.length > 0) parts.push(section('curves', 'Training curves', `<div class="charts">${curves.join('')}</div>`));
    if (val.length > 0) parts.push(section('validation', 'Validation over epochs', `<div class="charts">${val.join('')}</div>`));
  } else {
    parts.push(section('summary', 'Summary', `<p class="note">${escapeXml(logNote ?? 'log.jsonl has no records')}</p>`));
  }
  if (extras.tsne) {
    const { coords, labels, classNames } = extras.tsne;
    const n = Math.min(labels.length, Math.floor(coords.length / 2));
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = coords[2 * i];
      y[i] = coords[2 * i + 1];
    }
    const svg = scatterChart(
      { x, y, label: labels },
      { classNames, title: `t-SNE of backbone features (${n} images)`, width: 640, height: 540 },
    );
    parts.push(section('tsne', 't-SNE', `<div class="figure">${svg}</div>`));
  }
  if (extras.viewsPng) {
    const img = `<img class="views" alt="augmented views" src="data:image/png;base64,${extras.viewsPng.toString('base64')}">`;
    parts.push(section('views', 'Augmented views', img));
  }
  if (extras.reconstructionPng) {
    const img = `<img class="views" alt="reconstructions" src="data:image/png;base64,${extras.reconstructionPng.toString('base64')}">`;
    parts.push(
      section(
        'reconstruction',
        'Reconstructions',
        `<p>original · masked · reconstruction · reconstruction + visible patches</p>${img}`,
      ),
    );
  }
  if (extras.evaluation && Object.keys(extras.evaluation).length > 0) {
    parts.push(section('evaluation', 'Evaluation', renderValue(extras.evaluation, 0)));
  }
  if (extras.timings && Object.keys(extras.timings).length > 0) {
    const rows = Object.entries(extras.timings)
      .map(
        ([k, s]) =>
          `<tr><th>${escapeXml(k)}</th><td class="num">${escapeXml(formatNumber(s))} s</td><td class="num">${escapeXml(formatDuration(s))}</td></tr>`,
      )
      .join('');
    parts.push(section('timings', 'Timings', `<table><tbody>${rows}</tbody></table>`));
  }
  const cfg =
    config === undefined
      ? `<p class="note">${escapeXml(configNote ?? '')}</p>`
      : `<details><summary>config.json</summary><pre>${escapeXml(JSON.stringify(config, null, 2))}</pre></details>`;
  parts.push(section('config', 'Config', cfg));

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(`selfsup report: ${name}`)}</title>
<style>${CSS}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}

/**
 * Writes `<workDir>/report.html` atomically (temp file, fsync, rename: a reader never sees half a
 * report) from the work dir's `config.json` and `log.jsonl` plus `extras`; returns its path.
 * A missing config or log is noted in the page rather than failing the run.
 */
export async function writeReport(workDir: string, extras: ReportExtras = {}): Promise<string> {
  const path = join(resolve(workDir), 'report.html');
  const body = Buffer.from(renderReport(workDir, extras), 'utf8');
  torch.writeFileAtomic(path, (fd) => {
    let off = 0;
    while (off < body.length) off += writeSync(fd, body, off, body.length - off);
  });
  return path;
}
