/**
 * Self-contained SVG charts for training curves and embeddings: line charts (loss, lr, accuracy
 * over iterations or epochs) and class-coloured scatter plots (t-SNE / UMAP of features). The SVG
 * has no external references (fonts fall back to the system sans-serif), so it can be inlined in
 * an HTML report or rasterised with {@link svgToPng}.
 *
 * Structure the tests and the report rely on: `<path class="line">` per series with data,
 * `<circle class="point">` for isolated line points and scatter points, `<text class="tick x|y"
 * data-value>` per tick, `<g class="legend">` with one `<g class="legend-item">` per entry.
 */
import { categoricalColor } from './palette.js';
import { extent, linearScale, logScale, type Scale } from './scale.js';
import { escapeXml, FONT, px, textWidth } from './svg.js';

export { svgToPng } from './render.js';

/** One named curve; `x` and `y` are parallel, and a non-finite `y` (or `x`) breaks the line. */
export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixel size; default 640 × 360. */
  width?: number;
  height?: number;
  /** Log10 y axis; values ≤ 0 are then gaps. */
  logY?: boolean;
}

/** Points of a scatter plot: parallel coordinate arrays and an integer class label per point. */
export interface ScatterPoints {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  label: ArrayLike<number>;
}

/** Options of {@link scatterChart}. */
export interface ScatterChartOptions {
  /** Legend name of label `k` is `classNames[k]` (default: the number). */
  classNames?: readonly string[];
  title?: string;
  /** Pixel size; default 560 × 480. */
  width?: number;
  height?: number;
  /** Circle radius in pixels; default 2.5. */
  radius?: number;
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

interface LegendEntry {
  name: string;
  color: string;
}

const TICK_FONT = 11;
const LEGEND_FONT = 12;

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function legendWidth(entries: LegendEntry[], maxWidth: number): number {
  if (entries.length === 0) return 0;
  const w = Math.max(...entries.map((e) => textWidth(truncate(e.name, 32), LEGEND_FONT))) + 30;
  return Math.min(w, maxWidth);
}

/** Margins around the plot area: room for tick labels, axis labels, title and a legend on the right. */
function layout(
  width: number,
  height: number,
  o: { title?: string; xLabel?: string; yLabel?: string },
  yLabels: string[],
  legendW: number,
): Box {
  const yTickW = Math.max(0, ...yLabels.map((l) => textWidth(l, TICK_FONT)));
  return {
    left: Math.ceil(yTickW + 14 + (o.yLabel ? 22 : 0)),
    top: o.title ? 34 : 14,
    right: width - 16 - (legendW > 0 ? legendW + 8 : 0),
    bottom: height - (o.xLabel ? 46 : 28),
  };
}

function open(width: number, height: number, cls: string, title?: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${cls}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">` +
    `<rect class="background" width="${width}" height="${height}" fill="#ffffff"/>` +
    (title
      ? `<text class="title" x="${px(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold" fill="#222">${escapeXml(title)}</text>`
      : '')
  );
}

function axes(xs: Scale, ys: Scale, b: Box, o: { xLabel?: string; yLabel?: string }): string {
  const parts: string[] = ['<g class="axes">'];
  for (let i = 0; i < xs.ticks.length; i++) {
    const x = px(xs.map(xs.ticks[i]));
    parts.push(`<line class="grid" x1="${x}" y1="${b.top}" x2="${x}" y2="${b.bottom}" stroke="#e6e6e6"/>`);
    parts.push(`<line x1="${x}" y1="${b.bottom}" x2="${x}" y2="${b.bottom + 4}" stroke="#444"/>`);
    parts.push(
      `<text class="tick x" data-value="${xs.ticks[i]}" x="${x}" y="${b.bottom + 16}" text-anchor="middle" font-size="${TICK_FONT}" fill="#444">${escapeXml(xs.labels[i])}</text>`,
    );
  }
  for (let i = 0; i < ys.ticks.length; i++) {
    const y = px(ys.map(ys.ticks[i]));
    parts.push(`<line class="grid" x1="${b.left}" y1="${y}" x2="${b.right}" y2="${y}" stroke="#e6e6e6"/>`);
    parts.push(`<line x1="${b.left - 4}" y1="${y}" x2="${b.left}" y2="${y}" stroke="#444"/>`);
    parts.push(
      `<text class="tick y" data-value="${ys.ticks[i]}" x="${b.left - 7}" y="${y}" dy="0.35em" text-anchor="end" font-size="${TICK_FONT}" fill="#444">${escapeXml(ys.labels[i])}</text>`,
    );
  }
  parts.push(
    `<rect class="frame" x="${b.left}" y="${b.top}" width="${b.right - b.left}" height="${b.bottom - b.top}" fill="none" stroke="#444"/>`,
  );
  if (o.xLabel) {
    parts.push(
      `<text class="axis-label x" x="${px((b.left + b.right) / 2)}" y="${b.bottom + 36}" text-anchor="middle" font-size="12" fill="#222">${escapeXml(o.xLabel)}</text>`,
    );
  }
  if (o.yLabel) {
    const cy = px((b.top + b.bottom) / 2);
    parts.push(
      `<text class="axis-label y" x="14" y="${cy}" transform="rotate(-90 14 ${cy})" text-anchor="middle" font-size="12" fill="#222">${escapeXml(o.yLabel)}</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('');
}

/** Legend entries stacked down from (x, y); entries past `maxHeight` collapse into "+N more". */
function legend(entries: LegendEntry[], x: number, y: number, width: number, maxHeight: number, marker: 'line' | 'dot'): string {
  if (entries.length === 0) return '';
  const rowH = 18;
  const fit = Math.max(1, Math.floor(maxHeight / rowH));
  const shown = entries.length > fit ? entries.slice(0, fit - 1) : entries;
  const maxChars = Math.max(4, Math.floor((width - 30) / (LEGEND_FONT * 0.6)));
  const parts = ['<g class="legend">'];
  shown.forEach((e, i) => {
    const cy = y + 8 + i * rowH;
    const sw =
      marker === 'line'
        ? `<line x1="${x}" y1="${cy}" x2="${x + 18}" y2="${cy}" stroke="${e.color}" stroke-width="2.5"/>`
        : `<circle cx="${x + 9}" cy="${cy}" r="4.5" fill="${e.color}"/>`;
    parts.push(
      `<g class="legend-item">${sw}<text x="${x + 24}" y="${cy}" dy="0.35em" font-size="${LEGEND_FONT}" fill="#222">${escapeXml(truncate(e.name, maxChars))}</text></g>`,
    );
  });
  if (shown.length < entries.length) {
    parts.push(
      `<text class="legend-more" x="${x}" y="${y + 8 + shown.length * rowH}" dy="0.35em" font-size="${LEGEND_FONT}" fill="#666">+${entries.length - shown.length} more</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('');
}

/**
 * Splits a series into runs of consecutive drawable points (pixel coordinates); a point whose x or
 * y is not finite, or maps to NaN (≤ 0 on a log axis), ends the current run.
 */
function segments(s: LineSeries, xs: Scale, ys: Scale): [number, number][][] {
  const out: [number, number][][] = [];
  let cur: [number, number][] = [];
  const n = Math.min(s.x.length, s.y.length);
  for (let i = 0; i < n; i++) {
    const xv = s.x[i];
    const yv = s.y[i];
    const X = Number.isFinite(xv) ? xs.map(xv) : Number.NaN;
    const Y = Number.isFinite(yv) ? ys.map(yv) : Number.NaN;
    if (Number.isFinite(X) && Number.isFinite(Y)) cur.push([X, Y]);
    else if (cur.length > 0) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Thins a run that has many more points than pixel columns: per column it keeps the first, lowest,
 * highest and last point in their original order, so spikes and the envelope survive.
 */
function decimate(seg: [number, number][], columns: number): [number, number][] {
  if (seg.length <= 4 * columns) return seg;
  const out: [number, number][] = [];
  let i = 0;
  while (i < seg.length) {
    const col = Math.floor(seg[i][0]);
    let j = i;
    let lo = i;
    let hi = i;
    while (j < seg.length && Math.floor(seg[j][0]) === col) {
      if (seg[j][1] < seg[lo][1]) lo = j;
      if (seg[j][1] > seg[hi][1]) hi = j;
      j++;
    }
    for (const k of [...new Set([i, lo, hi, j - 1])].sort((a, b) => a - b)) out.push(seg[k]);
    i = j;
  }
  return out;
}

/**
 * A line chart of one or more series, each with its own colour and legend entry, over shared nice
 * axes (x linear; y linear or log10). Non-finite values leave gaps; isolated points are dots.
 * Returns the SVG document as a string.
 */
export function lineChart(series: readonly LineSeries[], opts: LineChartOptions = {}): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 360;
  const logY = opts.logY ?? false;
  const entries = series.map((s, i) => ({ name: s.name, color: categoricalColor(i) }));
  const lw = legendWidth(entries, width * 0.35);
  const xExt = extent(series.map((s) => s.x)) ?? [0, 1];
  const yExt =
    extent(
      series.map((s) => s.y),
      logY,
    ) ?? (logY ? [1, 10] : [0, 1]);
  // The y scale's labels decide the left margin, which decides the x range: build y first on a
  // provisional range, then both on the final box.
  const yCount = Math.max(2, Math.round((height - 80) / 50));
  const provisional = logY ? logScale(yExt[0], yExt[1], [0, 1]) : linearScale(yExt[0], yExt[1], [0, 1], yCount);
  const b = layout(width, height, opts, provisional.labels, lw);
  const xs = linearScale(xExt[0], xExt[1], [b.left, b.right], Math.max(2, Math.round((b.right - b.left) / 90)));
  const ys = logY ? logScale(yExt[0], yExt[1], [b.bottom, b.top]) : linearScale(yExt[0], yExt[1], [b.bottom, b.top], yCount);

  const parts = [open(width, height, 'line-chart', opts.title), axes(xs, ys, b, opts)];
  const hasData = series.some((s) => segments(s, xs, ys).length > 0);
  if (!hasData) {
    parts.push(
      `<text class="empty" x="${px((b.left + b.right) / 2)}" y="${px((b.top + b.bottom) / 2)}" text-anchor="middle" font-size="13" fill="#888">no data</text>`,
    );
  }
  series.forEach((s, i) => {
    const color = entries[i].color;
    const segs = segments(s, xs, ys).map((seg) => decimate(seg, b.right - b.left));
    const lines = segs.filter((seg) => seg.length > 1);
    const dots = segs.filter((seg) => seg.length === 1);
    parts.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (lines.length > 0) {
      const d = lines.map((seg) => `M${seg.map(([x, y]) => `${px(x)},${px(y)}`).join('L')}`).join('');
      parts.push(`<path class="line" d="${d}" fill="none" stroke="${color}" stroke-width="1.8" stroke-linejoin="round"/>`);
    }
    for (const [[x, y]] of dots) parts.push(`<circle class="point" cx="${px(x)}" cy="${px(y)}" r="2.5" fill="${color}"/>`);
    parts.push('</g>');
  });
  parts.push(legend(entries, b.right + 12, b.top, lw, b.bottom - b.top, 'line'));
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A scatter plot of labelled 2-D points (e.g. a t-SNE embedding), one colour per class with a legend;
 * points with a non-finite coordinate are skipped. Points are drawn grouped by class
 * (`<g class="points" data-label>`), so thousands of circles stay a small document.
 */
export function scatterChart(points: ScatterPoints, opts: ScatterChartOptions = {}): string {
  const width = opts.width ?? 560;
  const height = opts.height ?? 480;
  const r = opts.radius ?? 2.5;
  const n = Math.min(points.x.length, points.y.length, points.label.length);
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(points.x[i]) || !Number.isFinite(points.y[i])) continue;
    const l = points.label[i];
    let list = byLabel.get(l);
    if (!list) byLabel.set(l, (list = []));
    list.push(i);
  }
  const labels = [...byLabel.keys()].sort((a, b) => a - b);
  const entries = labels.map((l) => ({ name: opts.classNames?.[l] ?? String(l), color: categoricalColor(l) }));
  const lw = legendWidth(entries, width * 0.35);
  const xExt = extent([points.x]) ?? [0, 1];
  const yExt = extent([points.y]) ?? [0, 1];
  const yCount = Math.max(2, Math.round((height - 80) / 60));
  const b = layout(width, height, opts, linearScale(yExt[0], yExt[1], [0, 1], yCount).labels, lw);
  const xs = linearScale(xExt[0], xExt[1], [b.left, b.right], Math.max(2, Math.round((b.right - b.left) / 90)));
  const ys = linearScale(yExt[0], yExt[1], [b.bottom, b.top], yCount);

  const parts = [open(width, height, 'scatter-chart', opts.title), axes(xs, ys, b, {})];
  labels.forEach((l, k) => {
    parts.push(`<g class="points" data-label="${l}" fill="${entries[k].color}" fill-opacity="0.8">`);
    for (const i of byLabel.get(l) as number[]) {
      parts.push(`<circle class="point" cx="${px(xs.map(points.x[i]))}" cy="${px(ys.map(points.y[i]))}" r="${r}"/>`);
    }
    parts.push('</g>');
  });
  parts.push(legend(entries, b.right + 12, b.top, lw, b.bottom - b.top, 'dot'));
  parts.push('</svg>');
  return parts.join('');
}
