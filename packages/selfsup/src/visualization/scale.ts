/**
 * Axis scales for the SVG charts: "nice" tick steps (1, 2 or 5 × 10^k, Heckbert's "Nice numbers
 * for graph labels", Graphics Gems 1990), decade ticks for log axes, and tick label formatting.
 */

/** A linear or log10 map from data values to pixels, with the tick values to label. */
export interface Scale {
  /** Data domain after rounding out to ticks. */
  domain: [number, number];
  /** Pixel range the domain maps onto (may be decreasing, as for a y axis). */
  range: [number, number];
  ticks: number[];
  /** Tick labels, parallel to `ticks`. */
  labels: string[];
  log: boolean;
  /** Pixel position of a data value (NaN for values outside a log axis' positive half-line). */
  map(v: number): number;
}

/**
 * The nice step for about `count` intervals over `span`: the power of ten at or below
 * `span / count`, times 1, 2, 5 or 10, choosing the multiplier whose interval count is closest
 * in ratio (thresholds at √2, √10, √50, the geometric midpoints).
 */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = Math.floor(Math.log10(raw));
  const err = raw / 10 ** power;
  const factor = err >= Math.sqrt(50) ? 10 : err >= Math.sqrt(10) ? 5 : err >= Math.SQRT2 ? 2 : 1;
  return factor * 10 ** power;
}

/** Multiples of `step` from `lo` to `hi` (inclusive), computed as integers × step and rounded to the step's decimals. */
export function niceTicks(lo: number, hi: number, step: number): number[] {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const out: number[] = [];
  const i0 = Math.ceil(lo / step - 1e-9);
  const i1 = Math.floor(hi / step + 1e-9);
  for (let i = i0; i <= i1; i++) out.push(Number((i * step).toFixed(Math.min(20, decimals))));
  return out;
}

/**
 * Labels for the ticks of a linear axis with step `step`: fixed decimals (as many as the step
 * needs), or exponent form on every tick when the step is tiny or the axis reaches a million, so
 * one axis never mixes the two styles.
 */
export function formatTicks(ticks: readonly number[], step: number): string[] {
  const big = ticks.some((t) => Math.abs(t) >= 1e6);
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  return ticks.map((v) => (v === 0 ? '0' : step < 1e-3 || big ? compactExp(v) : v.toFixed(decimals)));
}

function compactExp(v: number): string {
  return Number(v.toPrecision(6)).toExponential().replace('e+', 'e');
}

/** Finite extent of several arrays; `positiveOnly` ignores values ≤ 0 (for log axes). */
export function extent(arrays: ArrayLike<number>[], positiveOnly = false): [number, number] | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(v) || (positiveOnly && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * A linear scale over `[lo, hi]` rounded out to nice ticks (about `count` intervals). A zero-width
 * extent is widened by one unit (or 10 % of the value) each side so a constant series sits mid-axis.
 * `integer` (for epochs, iterations, counts) keeps the step at 1 or more, so no tick falls between
 * two whole numbers (no "2.5 epochs"), and pads a constant extent by whole units.
 */
export function linearScale(lo: number, hi: number, range: [number, number], count = 5, integer = false): Scale {
  if (lo === hi) {
    const pad = integer ? 1 : lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = integer ? Math.max(1, niceStep(hi - lo, count)) : niceStep(hi - lo, count);
  const d0 = Math.floor(lo / step + 1e-9) * step;
  const d1 = Math.ceil(hi / step - 1e-9) * step;
  const ticks = niceTicks(d0, d1, step);
  const domain: [number, number] = [ticks[0], ticks[ticks.length - 1]];
  const k = (range[1] - range[0]) / (domain[1] - domain[0]);
  return {
    domain,
    range,
    ticks,
    labels: formatTicks(ticks, step),
    log: false,
    map: (v) => range[0] + (v - domain[0]) * k,
  };
}

/**
 * A log10 scale over whole decades covering `[lo, hi]` (both > 0). Ticks at powers of ten; when the
 * data spans fewer than two decades, also at 2× and 5× so the axis has more than two labels.
 */
export function logScale(lo: number, hi: number, range: [number, number]): Scale {
  const e0 = Math.floor(Math.log10(lo) + 1e-12);
  let e1 = Math.ceil(Math.log10(hi) - 1e-12);
  // A single exact power of ten still gets a one-decade axis.
  if (e1 === e0) e1 += 1;
  const ticks: number[] = [];
  const dense = e1 - e0 <= 2;
  for (let e = e0; e <= e1; e++) {
    for (const m of dense && e < e1 ? [1, 2, 5] : [1]) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  }
  const domain: [number, number] = [10 ** e0, 10 ** e1];
  const k = (range[1] - range[0]) / (e1 - e0);
  return {
    domain,
    range,
    ticks,
    labels: ticks.map((t) => (t >= 1e-3 && t < 1e6 ? String(t) : compactExp(t))),
    log: true,
    map: (v) => (v > 0 ? range[0] + (Math.log10(v) - e0) * k : Number.NaN),
  };
}
