/** Small helpers for writing SVG text by hand: XML escaping, compact numbers, approximate text width. */

/** Escapes the five XML special characters, so any label is safe in text and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

/** A pixel coordinate with two decimals (enough below 1/100 px) and no trailing zeros. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Approximate width in pixels of `s` in a sans-serif font of `fontSize` (0.6 em per character). */
export function textWidth(s: string, fontSize: number): number {
  return s.length * fontSize * 0.6;
}

/** The font stack every chart uses: DejaVu Sans is what Debian's librsvg and Chromium find. */
export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
