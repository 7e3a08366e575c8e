/** Small helpers for writing SVG text by hand: XML escaping, compact numbers, approximate text width. */

/** Escapes the five XML special characters, so any label is safe in text and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

/** A pixel coordinate with two decimals (enough below 1/100 px) and no trailing zeros. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

// Advance widths in em of DejaVu Sans by character class, rounded up from the font's own metrics
// (e.g. 'i' 0.28, 'a' 0.61, digits 0.64, 'A' 0.68, 'm' 0.97, 'W' 0.99): an estimate that errs
// wide, so text laid out with it stays inside its box in librsvg and Chromium alike.
const NARROW = new Set("iljI.,:;'!|` ");
const SEMI = new Set('frt()[]{}-/\\"*');
const WIDE = new Set('mwMW@%');

function charEm(c: string): number {
  if (NARROW.has(c)) return 0.34;
  if (SEMI.has(c)) return 0.45;
  if (WIDE.has(c)) return 1.02;
  if (c >= 'A' && c <= 'Z') return 0.78;
  // Anything outside ASCII (accents aside) may be a full-width glyph.
  if (c.charCodeAt(0) > 0x24f) return 1.05;
  return 0.66;
}

/**
 * Estimated width in pixels of `s` in DejaVu Sans at `fontSize` (bold glyphs are about 10 % wider);
 * an upper-side estimate used to lay out titles, legends and tick labels without a font engine.
 */
export function textWidth(s: string, fontSize: number, opts: { bold?: boolean } = {}): number {
  let em = 0;
  for (const c of s) em += charEm(c);
  return em * fontSize * (opts.bold ? 1.1 : 1);
}

/** The font stack every chart uses: DejaVu Sans is what Debian's librsvg and Chromium find. */
export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
