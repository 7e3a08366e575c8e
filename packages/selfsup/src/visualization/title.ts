/**
 * Chart titles that are never clipped: a title wider than the chart wraps onto a second line at
 * the break that balances the two lines best (spaces, or after `/ _ - , ; :` so run names and
 * paths break too); when two lines cannot hold it, the first line keeps its beginning and the
 * second its end, joined by an ellipsis — the middle is what goes, since titles tend to start with
 * what is plotted and end with the run it comes from. Widths come from {@link textWidth}.
 */
import { textWidth } from './svg.js';

/** The lines of a laid-out title (one or two) and whether part of it was left out. */
export interface TitleLines {
  lines: string[];
  shortened: boolean;
}

const ELLIPSIS = '…';
const BREAK_AFTER = new Set(['/', '_', '-', ',', ';', ':']);

/**
 * Lays `title` out in at most two lines of at most `maxWidth` pixels each at `fontSize` (bold).
 * Whitespace runs collapse to one space; an empty title gives no lines.
 */
export function layoutTitle(title: string, maxWidth: number, fontSize: number): TitleLines {
  const t = title.replace(/\s+/g, ' ').trim();
  const fits = (s: string) => textWidth(s, fontSize, { bold: true }) <= maxWidth;
  if (t === '') return { lines: [], shortened: false };
  if (fits(t)) return { lines: [t], shortened: false };
  const chars = [...t];
  // Two lines: the break whose wider line is narrowest.
  let best: [string, string] | null = null;
  let bestW = Number.POSITIVE_INFINITY;
  for (let i = 1; i < chars.length; i++) {
    let a: string;
    let b: string;
    if (chars[i] === ' ') {
      a = chars.slice(0, i).join('');
      b = chars.slice(i + 1).join('');
    } else if (BREAK_AFTER.has(chars[i - 1])) {
      a = chars.slice(0, i).join('');
      b = chars.slice(i).join('');
    } else continue;
    if (a === '' || b === '' || !fits(a) || !fits(b)) continue;
    const w = Math.max(textWidth(a, fontSize, { bold: true }), textWidth(b, fontSize, { bold: true }));
    if (w < bestW) {
      bestW = w;
      best = [a, b];
    }
  }
  if (best) return { lines: best, shortened: false };
  // Too long for two lines: the longest head that fits, then an ellipsis and the longest tail.
  let head = 0;
  while (head < chars.length && fits(chars.slice(0, head + 1).join(''))) head++;
  let tail = 0;
  while (tail < chars.length - head && fits(ELLIPSIS + chars.slice(chars.length - tail - 1).join(''))) tail++;
  const line1 = chars.slice(0, head).join('').trimEnd();
  const line2 =
    ELLIPSIS +
    chars
      .slice(chars.length - tail)
      .join('')
      .trimStart();
  return { lines: line1 === '' ? [line2] : [line1, line2], shortened: true };
}

/**
 * `text` in one line of at most `maxWidth` pixels at `fontSize`: as it is when it fits, else its
 * beginning and end around an ellipsis, the two halves as even as the width allows.
 */
export function shortenMiddle(text: string, maxWidth: number, fontSize: number): string {
  if (textWidth(text, fontSize) <= maxWidth) return text;
  const chars = [...text];
  let head = 0;
  let tail = 0;
  // Grow the shorter side first while the result still fits.
  for (;;) {
    const grow = head <= tail ? 'head' : 'tail';
    const h = head + (grow === 'head' ? 1 : 0);
    const t = tail + (grow === 'tail' ? 1 : 0);
    if (h + t >= chars.length) break;
    const s = chars.slice(0, h).join('') + ELLIPSIS + chars.slice(chars.length - t).join('');
    if (textWidth(s, fontSize) > maxWidth) break;
    head = h;
    tail = t;
  }
  return chars.slice(0, head).join('') + ELLIPSIS + chars.slice(chars.length - tail).join('');
}
