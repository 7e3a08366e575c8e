/** Number and duration formatting shared by `analyze-logs stats` and the HTML report. */

/** A number for a table: integers as they are, others to 5 significant digits, tiny/huge ones in exponent form. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e6 ? v.toExponential(3) : Number(v.toPrecision(5)).toString();
}

/** Seconds as `h:mm:ss` (rounded to the second). */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
