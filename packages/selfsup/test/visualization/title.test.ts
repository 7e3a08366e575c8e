import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { lineChart, scatterChart } from '../../src/visualization/charts.js';
import { textWidth } from '../../src/visualization/svg.js';
import { layoutTitle, shortenMiddle } from '../../src/visualization/title.js';
import { parseSvg } from './parse-svg.js';

const CHROMIUM = '/usr/bin/chromium';
const bold = (s: string, size: number) => textWidth(s, size, { bold: true });

test('text width estimate: per-character em widths by class, bold 10 % wider', () => {
  // 'i' narrow 0.34, 'W' wide 1.02, 'A' upper 0.78, 'a' other 0.66, 't' semi 0.45 (em).
  assert.ok(Math.abs(textWidth('iWAat', 10) - (0.34 + 1.02 + 0.78 + 0.66 + 0.45) * 10) < 1e-9);
  assert.ok(Math.abs(textWidth('iWAat', 10, { bold: true }) - (0.34 + 1.02 + 0.78 + 0.66 + 0.45) * 11) < 1e-9);
  assert.equal(textWidth('', 15), 0);
});

test('layoutTitle: fits → one line; too wide → two balanced lines; too long for two → head…tail', () => {
  assert.deepEqual(layoutTitle('  Loss   curve ', 300, 15), { lines: ['Loss curve'], shortened: false });
  assert.deepEqual(layoutTitle('', 300, 15), { lines: [], shortened: false });

  const words = 'Training loss of SimCLR with a ResNet-18 on Fashion-MNIST';
  const max = bold(words, 15) * 0.6; // wider than one line allows, narrower than two
  const w = layoutTitle(words, max, 15);
  assert.equal(w.lines.length, 2);
  assert.equal(w.shortened, false);
  for (const l of w.lines) assert.ok(bold(l, 15) <= max, `"${l}" fits`);
  // Nothing lost: the lines are the title split at one break (a space, dropped, or after '-').
  const joined = [`${w.lines[0]} ${w.lines[1]}`, w.lines[0] + w.lines[1]];
  assert.ok(joined.includes(words), `${w.lines} from ${words}`);
  // Balanced: no other break gives a narrower wider line (checked over every space).
  const best = Math.max(bold(w.lines[0], 15), bold(w.lines[1], 15));
  for (let i = words.indexOf(' '); i >= 0; i = words.indexOf(' ', i + 1)) {
    const a = words.slice(0, i);
    const b = words.slice(i + 1);
    if (bold(a, 15) <= max && bold(b, 15) <= max) assert.ok(best <= Math.max(bold(a, 15), bold(b, 15)) + 1e-9);
  }

  // A run name without spaces breaks after '_' or '-' or '/'.
  const run = 'simclr_resnet18-w025_1xb128-coslr-3e_fashion-mnist/loss';
  const r = layoutTitle(run, bold(run, 15) * 0.7, 15);
  assert.equal(r.lines.length, 2);
  assert.equal(r.lines.join(''), run);
  assert.match(r.lines[0], /[_\-/]$/);

  // Far too long: the beginning on line 1, "…" and the end on line 2, each as long as fits.
  const long = `${'Loss of run number one hundred and twenty three '.repeat(4)}(final)`;
  const s = layoutTitle(long, 200, 15);
  assert.equal(s.shortened, true);
  assert.equal(s.lines.length, 2);
  for (const l of s.lines) assert.ok(bold(l, 15) <= 200, `"${l}" fits`);
  assert.ok(long.startsWith(s.lines[0]));
  assert.ok(s.lines[1].startsWith('…') && long.endsWith(s.lines[1].slice(1)));
  assert.ok(s.lines[1].endsWith('(final)'), 'the end survives');
  // Maximal: one more character on either side would not fit.
  assert.ok(bold(long.slice(0, s.lines[0].length + 1), 15) > 200 || long[s.lines[0].length] === ' ');
  const before = long.length - s.lines[1].length; // the character left of the kept tail
  assert.ok(bold(`…${long.slice(before)}`, 15) > 200 || long[before] === ' ');
});

test('shortenMiddle: fits unchanged, else head…tail within the width, halves as even as possible', () => {
  assert.equal(shortenMiddle('loss', 100, 12), 'loss');
  const name = 'simclr_resnet18-w025_1xb128-coslr-3e_fashion-mnist/loss_contrastive';
  const s = shortenMiddle(name, 120, 12);
  assert.ok(textWidth(s, 12) <= 120, s);
  const [head, tail] = s.split('…');
  assert.ok(name.startsWith(head) && name.endsWith(tail));
  assert.ok(Math.abs(head.length - tail.length) <= 1, s);
});

test('charts: a long title takes two lines (or loses its middle) and pushes the plot down, full text kept as tooltip', () => {
  const x = [1, 2, 3, 4];
  const y = [4, 3, 2, 1];
  const one = parseSvg(lineChart([{ name: 'loss', x, y }], { title: 'Loss', width: 400 }));
  assert.deepEqual(one.titleLines, ['Loss']);
  const title = 'Training loss of SimCLR with a ResNet-18 backbone on Fashion-MNIST, 200 epochs';
  const two = parseSvg(lineChart([{ name: 'loss', x, y }], { title, width: 400 }));
  assert.equal(two.titleLines.length, 2);
  assert.equal(two.tooltip, title);
  for (const l of two.titleLines) assert.ok(bold(l, 15) <= 400 - 16, l);
  // The top y tick sits lower when the title has two lines (the plot area starts below it).
  const top = (p: typeof one) => Math.min(...p.ticks.filter((t) => t.axis === 'y').map((t) => t.y));
  assert.ok(top(two) >= top(one) + 18 - 1e-9, `${top(two)} vs ${top(one)}`);
  const cut = parseSvg(scatterChart({ x, y, label: [0, 1, 0, 1] }, { title: title.repeat(3), width: 300 }));
  assert.equal(cut.titleLines.length, 2);
  assert.ok(cut.titleLines[1].startsWith('…'));
});

test('in Chromium, every title (wrapped, shortened, one line) lies inside its SVG and within the estimate', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`,
}, async () => {
  const x = [1, 2, 3];
  const y = [3, 1, 2];
  const titles = [
    'WWWW MMMM mmmm wwww @@@@ %%%% WWWW MMMM mmmm wwww', // the widest glyphs
    'simclr_resnet18-w025_1xb128-coslr-3e_fashion-mnist/loss vs simclr_resnet50_16xb256-coslr-200e_in1k/loss',
    `${'A very long title about the loss of a run '.repeat(6)}(the end)`,
    'Loss',
  ];
  const svgs = titles.flatMap((t) => [
    lineChart([{ name: 'loss', x, y }], { title: t, width: 320, height: 240 }),
    scatterChart({ x, y, label: [0, 1, 2] }, { title: t, width: 260, height: 240 }),
  ]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><body style="margin:0">${svgs.join('')}</body>`);
    const boxes = (await page.evaluate(`[...document.querySelectorAll('svg.chart')].map((svg) => {
      const t = svg.querySelector('text.title');
      const b = t.getBBox();
      const frame = svg.querySelector('rect.frame').getBBox();
      return { w: svg.width.baseVal.value, h: svg.height.baseVal.value, x: b.x, y: b.y, bw: b.width, bh: b.height,
        frameTop: frame.y,
        lines: [...t.querySelectorAll('tspan')].map((s) => ({ text: s.textContent, px: s.getComputedTextLength() })) };
    })`)) as {
      w: number;
      h: number;
      x: number;
      y: number;
      bw: number;
      bh: number;
      frameTop: number;
      lines: { text: string; px: number }[];
    }[];
    assert.equal(boxes.length, svgs.length);
    for (const b of boxes) {
      const what = b.lines.map((l) => l.text).join(' | ');
      assert.ok(b.lines.length >= 1 && b.lines.length <= 2, what);
      assert.ok(b.x >= 0 && b.x + b.bw <= b.w, `title inside horizontally: ${b.x}…${b.x + b.bw} of ${b.w} (${what})`);
      assert.ok(
        b.y >= 0 && b.y + b.bh <= b.frameTop,
        `title above the plot: ${b.y}…${b.y + b.bh}, plot at ${b.frameTop} (${what})`,
      );
      // The layout's estimate is an upper bound of what the browser draws.
      for (const l of b.lines) assert.ok(l.px <= bold(l.text, 15), `"${l.text}": ${l.px} px > estimate ${bold(l.text, 15)}`);
    }
  } finally {
    await browser.close();
  }
});
