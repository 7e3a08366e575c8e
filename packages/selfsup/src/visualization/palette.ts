/**
 * Categorical colours for chart series and class labels: ten distinct hues (the "category10"
 * family used by d3 and matplotlib), then their lighter variants, then hues spaced by the golden
 * angle so any number of classes gets distinct colours.
 */

/** The first ten categorical colours. */
export const PALETTE: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

const LIGHT: readonly string[] = [
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#c7c7c7',
  '#dbdb8d',
  '#9edae5',
];

/** Colour of category `i` (≥ 0); negative indices (e.g. "unlabelled" = −1) are neutral grey. */
export function categoricalColor(i: number): string {
  if (i < 0) return '#999999';
  if (i < PALETTE.length) return PALETTE[i];
  if (i < PALETTE.length + LIGHT.length) return LIGHT[i - PALETTE.length];
  const hue = (i * 137.508) % 360;
  return `hsl(${hue.toFixed(1)},65%,45%)`;
}
