/**
 * Self-contained SVG charts for training curves and embeddings: line charts (loss, lr, accuracy
 * over iterations or epochs) and class-coloured scatter plots (t-SNE / UMAP of features). The SVG
 * has no external references (fonts fall back to the system sans-serif), so it can be inlined in
 * an HTML report or rasterised with {@link svgToPng}.
 *
 * Structure the tests and the report rely on: `<path class="line">` per series with data,
 * `<circle class="point">` for isolated line points and scatter points, `<text class="tick x|y|y2"
 * data-value>` per tick (`y2`: the right-hand axis), `<g class="legend">` with one
 * `<g class="legend-item">` per entry, `<text class="title">` with one `<tspan>` per title line
 * (see title.ts: wrapped or shortened in the middle, never clipped; a shortened title is kept whole
 * in the SVG's `<title>`, the browser's tooltip).
 */
import { categoricalColor } from './palette.js';
import { extent, linearScale, logScale, type Scale } from './scale.js';
import { escapeXml, FONT, px, textWidth } from './svg.js';
import { layoutTitle, shortenMiddle } from './title.js';

export { svgToPng } from './render.js';

/** One named curve; `x` and `y` are parallel, and a non-finite `y` (or `x`) breaks the line. */
export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /**
   * The y axis it is drawn against: 'right' gives it a second, independently scaled axis on the
   * right (e.g. the learning rate next to the loss). Default 'left'.
   */
  axis?: 'left' | 'right';
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Label of the right-hand axis (series with `axis: 'right'`). */
  y2Label?: string;
  /** Pixel size; default 640 × 360. */
  width?: number;
  height?: number;
  /** Log10 left y axis; values ≤ 0 are then gaps. */
  logY?: boolean;
  /** x ticks at whole numbers only (epochs, iterations). Default: when every finite x is an integer. */
  integerX?: boolean;
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
  /** Where the legend starts (right of the right-hand axis' labels, if any). */
  legendX: number;
  /** Baseline x of the rotated right-hand axis label. */
  y2LabelX: number;
}

interface LegendEntry {
  name: string;
  color: string;
}

const TICK_FONT = 11;
const LEGEND_FONT = 12;
const TITLE_FONT = 15;
const TITLE_LINE = 18;
/** Space kept free left and right of the title. */
const TITLE_PAD = 8;

/** Widest a legend may be (text and its 30 px swatch), as a share of the chart's width. */
const LEGEND_SHARE = 0.35;

function legendWidth(entries: LegendEntry[], maxWidth: number): number {
  if (entries.length === 0) return 0;
  const w = Math.max(...entries.map((e) => textWidth(e.name, LEGEND_FONT))) + 30;
  return Math.min(Math.ceil(w), maxWidth);
}

/** Margins around the plot area: room for tick labels, axis labels, the title's lines and a legend on the right. */
function layout(
  width: number,
  height: number,
  o: { titleLines: number; xLabel?: string; yLabel?: string; y2Label?: string },
  yLabels: string[],
  y2Labels: string[] | null,
  legendW: number,
): Box {
  const widest = (labels: string[]) => Math.max(0, ...labels.map((l) => textWidth(l, TICK_FONT)));
  const y2Ticks = y2Labels ? Math.ceil(widest(y2Labels) + 14) : 0;
  const y2Space = y2Labels ? y2Ticks + (o.y2Label ? 22 : 0) : 0;
  const right = width - 16 - (legendW > 0 ? legendW + 8 : 0) - y2Space;
  return {
    left: Math.ceil(widest(yLabels) + 14 + (o.yLabel ? 22 : 0)),
    top: o.titleLines === 0 ? 14 : 34 + TITLE_LINE * (o.titleLines - 1),
    right,
    bottom: height - (o.xLabel ? 46 : 28),
    legendX: right + y2Space + 12,
    y2LabelX: right + y2Ticks + 8,
  };
}

/** The title's lines for a chart `width` wide (see title.ts). */
function titleOf(width: number, title: string | undefined) {
  return layoutTitle(title ?? '', width - 2 * TITLE_PAD, TITLE_FONT);
}

function open(width: number, height: number, cls: string, title: string | undefined, lines: string[]): string {
  const cx = px(width / 2);
  const tspans = lines.map((l, i) => `<tspan x="${cx}" y="${22 + i * TITLE_LINE}">${escapeXml(l)}</tspan>`).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${cls}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">` +
    (title?.trim() ? `<title>${escapeXml(title.trim())}</title>` : '') +
    `<rect class="background" width="${width}" height="${height}" fill="#ffffff"/>` +
    (lines.length > 0
      ? `<text class="title" text-anchor="middle" font-size="${TITLE_FONT}" font-weight="bold" fill="#222">${tspans}</text>`
      : '')
  );
}

/** Ticks, tick marks and label of the right-hand axis; no grid (the left axis' grid serves both). */
function rightAxis(ys: Scale, b: Box, label: string | undefined, color: string): string {
  const parts: string[] = ['<g class="axes right">'];
  for (let i = 0; i < ys.ticks.length; i++) {
    const y = px(ys.map(ys.ticks[i]));
    parts.push(`<line x1="${b.right}" y1="${y}" x2="${b.right + 4}" y2="${y}" stroke="#444"/>`);
    parts.push(
      `<text class="tick y2" data-value="${ys.ticks[i]}" x="${b.right + 7}" y="${y}" dy="0.35em" text-anchor="start" font-size="${TICK_FONT}" fill="${color}">${escapeXml(ys.labels[i])}</text>`,
    );
  }
  if (label) {
    const cy = px((b.top + b.bottom) / 2);
    parts.push(
      `<text class="axis-label y2" x="${b.y2LabelX}" y="${cy}" transform="rotate(90 ${b.y2LabelX} ${cy})" text-anchor="middle" font-size="12" fill="${color}">${escapeXml(label)}</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('');
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
  const parts = ['<g class="legend">'];
  shown.forEach((e, i) => {
    const cy = y + 8 + i * rowH;
    const sw =
      marker === 'line'
        ? `<line x1="${x}" y1="${cy}" x2="${x + 18}" y2="${cy}" stroke="${e.color}" stroke-width="2.5"/>`
        : `<circle cx="${x + 9}" cy="${cy}" r="4.5" fill="${e.color}"/>`;
    parts.push(
      `<g class="legend-item">${sw}<text x="${x + 24}" y="${cy}" dy="0.35em" font-size="${LEGEND_FONT}" fill="#222">${escapeXml(shortenMiddle(e.name, width - 30, LEGEND_FONT))}</text></g>`,
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

/** True when every finite value of the arrays is a whole number (and there is one). */
function allIntegers(arrays: ArrayLike<number>[]): boolean {
  let any = false;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) continue;
      if (!Number.isInteger(a[i])) return false;
      any = true;
    }
  }
  return any;
}

/**
 * A line chart of one or more series, each with its own colour and legend entry, over nice axes
 * (x linear, whole-number ticks for integer x such as epochs; y linear or log10). Series with
 * `axis: 'right'` get a second y axis on the right with its own nice ticks, its labels in the
 * series' colour when it is the only one there, and "(right)" in the legend. Non-finite values
 * leave gaps; isolated points are dots. Returns the SVG document as a string.
 */
export function lineChart(series: readonly LineSeries[], opts: LineChartOptions = {}): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 360;
  const logY = opts.logY ?? false;
  // A right axis only when both sides have a series; otherwise everything is on the left.
  const dual = series.some((s) => s.axis === 'right') && series.some((s) => s.axis !== 'right');
  const onRight = (s: LineSeries) => dual && s.axis === 'right';
  const entries = series.map((s, i) => ({ name: onRight(s) ? `${s.name} (right)` : s.name, color: categoricalColor(i) }));
  const lw = legendWidth(entries, width * LEGEND_SHARE);
  const title = titleOf(width, opts.title);
  const xExt = extent(series.map((s) => s.x)) ?? [0, 1];
  const integerX = opts.integerX ?? allIntegers(series.map((s) => s.x));
  const leftSeries = series.filter((s) => !onRight(s));
  const rightSeries = series.filter(onRight);
  const yExt =
    extent(
      leftSeries.map((s) => s.y),
      logY,
    ) ?? (logY ? [1, 10] : [0, 1]);
  const y2Ext = extent(rightSeries.map((s) => s.y)) ?? [0, 1];
  // The y scales' labels decide the margins, which decide the x range: build them first on a
  // provisional range, then all on the final box.
  const yCount = Math.max(2, Math.round((height - 80 - TITLE_LINE * (title.lines.length - 1)) / 50));
  const yScale = (range: [number, number]) =>
    logY ? logScale(yExt[0], yExt[1], range) : linearScale(yExt[0], yExt[1], range, yCount);
  const y2Scale = (range: [number, number]) => linearScale(y2Ext[0], y2Ext[1], range, yCount);
  const b = layout(
    width,
    height,
    { ...opts, titleLines: title.lines.length },
    yScale([0, 1]).labels,
    dual ? y2Scale([0, 1]).labels : null,
    lw,
  );
  const xs = linearScale(xExt[0], xExt[1], [b.left, b.right], Math.max(2, Math.round((b.right - b.left) / 90)), integerX);
  const ys = yScale([b.bottom, b.top]);
  const ys2 = y2Scale([b.bottom, b.top]);
  const scaleOf = (s: LineSeries) => (onRight(s) ? ys2 : ys);

  const parts = [open(width, height, 'line-chart', opts.title, title.lines), axes(xs, ys, b, opts)];
  if (dual) {
    const color = rightSeries.length === 1 ? entries[series.indexOf(rightSeries[0])].color : '#444';
    parts.push(rightAxis(ys2, b, opts.y2Label, color));
  }
  const hasData = series.some((s) => segments(s, xs, scaleOf(s)).length > 0);
  if (!hasData) {
    parts.push(
      `<text class="empty" x="${px((b.left + b.right) / 2)}" y="${px((b.top + b.bottom) / 2)}" text-anchor="middle" font-size="13" fill="#888">no data</text>`,
    );
  }
  series.forEach((s, i) => {
    const color = entries[i].color;
    const segs = segments(s, xs, scaleOf(s)).map((seg) => decimate(seg, b.right - b.left));
    const lines = segs.filter((seg) => seg.length > 1);
    const dots = segs.filter((seg) => seg.length === 1);
    parts.push(`<g class="series" data-name="${escapeXml(s.name)}" data-axis="${onRight(s) ? 'right' : 'left'}">`);
    if (lines.length > 0) {
      const d = lines.map((seg) => `M${seg.map(([x, y]) => `${px(x)},${px(y)}`).join('L')}`).join('');
      parts.push(`<path class="line" d="${d}" fill="none" stroke="${color}" stroke-width="1.8" stroke-linejoin="round"/>`);
    }
    for (const [[x, y]] of dots) parts.push(`<circle class="point" cx="${px(x)}" cy="${px(y)}" r="2.5" fill="${color}"/>`);
    parts.push('</g>');
  });
  parts.push(legend(entries, b.legendX, b.top, lw, b.bottom - b.top, 'line'));
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
  const lw = legendWidth(entries, width * LEGEND_SHARE);
  const xExt = extent([points.x]) ?? [0, 1];
  const yExt = extent([points.y]) ?? [0, 1];
  const title = titleOf(width, opts.title);
  const yCount = Math.max(2, Math.round((height - 80 - TITLE_LINE * (title.lines.length - 1)) / 60));
  const b = layout(
    width,
    height,
    { titleLines: title.lines.length },
    linearScale(yExt[0], yExt[1], [0, 1], yCount).labels,
    null,
    lw,
  );
  const xs = linearScale(xExt[0], xExt[1], [b.left, b.right], Math.max(2, Math.round((b.right - b.left) / 90)));
  const ys = linearScale(yExt[0], yExt[1], [b.bottom, b.top], yCount);

  const parts = [open(width, height, 'scatter-chart', opts.title, title.lines), axes(xs, ys, b, {})];
  labels.forEach((l, k) => {
    parts.push(`<g class="points" data-label="${l}" fill="${entries[k].color}" fill-opacity="0.8">`);
    for (const i of byLabel.get(l) as number[]) {
      parts.push(`<circle class="point" cx="${px(xs.map(points.x[i]))}" cy="${px(ys.map(points.y[i]))}" r="${r}"/>`);
    }
    parts.push('</g>');
  });
  parts.push(legend(entries, b.legendX, b.top, lw, b.bottom - b.top, 'dot'));
  parts.push('</svg>');
  return parts.join('');
}
