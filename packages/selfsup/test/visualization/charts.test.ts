import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { lineChart, scatterChart, svgToPng } from '../../src/visualization/charts.js';
import { categoricalColor } from '../../src/visualization/palette.js';
import { formatTicks, linearScale, logScale, niceStep } from '../../src/visualization/scale.js';
import { axisFit, parseSvg, pathRuns } from './parse-svg.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('nice steps are 1, 2 or 5 × 10^k nearest to span/count', () => {
  // span/count → raw step; mantissa m of raw: m < √2 → 1, < √10 → 2, < √50 → 5, else 10.
  assert.equal(niceStep(4.74, 6), 1); // 0.79 → m 7.9 ≥ 7.07 → 10 × 0.1
  assert.equal(niceStep(999, 6), 200); // 166.5 → m 1.665 → 2 × 100
  assert.equal(niceStep(0.3, 5), 0.05); // 0.06 → m 6 → 5 × 0.01
  assert.equal(niceStep(13, 10), 1); // 1.3 → m 1.3 < 1.414 → 1
  assert.equal(niceStep(35, 10), 5); // 3.5 → m 3.5 ≥ 3.16 → 5
  const s = linearScale(0.13, 4.87, [300, 0], 6);
  assert.deepEqual(s.ticks, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(s.domain, [0, 5]);
  const f = linearScale(-0.27, 0.012, [0, 100], 5); // span 0.282/5 = 0.0564 → 0.05
  assert.deepEqual(f.ticks, [-0.3, -0.25, -0.2, -0.15, -0.1, -0.05, 0, 0.05]);
  assert.deepEqual(f.labels, ['-0.30', '-0.25', '-0.20', '-0.15', '-0.10', '-0.05', '0', '0.05']);
  // A constant series gets an axis around it instead of a zero-width domain.
  const c = linearScale(300, 300, [0, 1], 6);
  assert.ok(c.domain[0] <= 270 && c.domain[1] >= 330);
  assert.deepEqual(formatTicks([1e-5, 2e-5, 3e-5], 1e-5), ['1e-5', '2e-5', '3e-5']);
  assert.deepEqual(formatTicks([0, 500000, 1000000, 1500000], 500000), ['0', '5e5', '1e6', '1.5e6']);
  assert.deepEqual(formatTicks([0, 0.5, 1], 0.5), ['0', '0.5', '1.0']);
  const l = logScale(0.003, 0.2, [0, 300]);
  assert.deepEqual(l.ticks, [0.001, 0.01, 0.1, 1]);
  assert.deepEqual(logScale(0.15, 0.6, [0, 1]).ticks, [0.1, 0.2, 0.5, 1]);
});

test('line chart: nice tick labels, linear coordinates, one path per series, NaN gaps, escaped names', () => {
  const x = Array.from({ length: 100 }, (_, i) => 1 + i * 10.09); // 1 … 999.91
  const y = x.map((_, i) => 0.13 + (4.74 * i) / 99); // 0.13 … 4.87
  y[40] = Number.NaN;
  y[42] = Number.NaN; // leaves index 41 isolated: a dot, not a line
  const y2 = x.map((v) => 2 + Math.sin(v / 100));
  const svg = lineChart(
    [
      { name: 'loss', x, y },
      { name: 'a<b & "c"', x, y: y2 },
    ],
    { title: 'Loss & <lr>', xLabel: 'iteration', yLabel: 'loss' },
  );
  const p = parseSvg(svg);
  assert.equal(p.title, 'Loss & <lr>');
  assert.deepEqual(p.legend, ['loss', 'a<b & "c"']);
  assert.deepEqual(
    p.ticks.filter((t) => t.axis === 'y').map((t) => t.text),
    ['0', '1', '2', '3', '4', '5'],
  );
  // 999 over 4–7 intervals always rounds to a step of 200 (see the previous test).
  assert.deepEqual(
    p.ticks.filter((t) => t.axis === 'x').map((t) => t.text),
    ['0', '200', '400', '600', '800', '1000'],
  );
  assert.equal(p.paths.length, 2);
  assert.deepEqual(
    p.paths.map((q) => q.series),
    ['loss', 'a<b & "c"'],
  );
  assert.notEqual(p.paths[0].stroke, p.paths[1].stroke);
  const fx = axisFit(p.ticks, 'x');
  const fy = axisFit(p.ticks, 'y');
  assert.ok(fx.b > 0 && fy.b < 0, 'x grows rightwards, y upwards');
  const runs = pathRuns(p.paths[0].d);
  assert.deepEqual(
    runs.map((r) => r.length),
    [40, 57],
  );
  const kept = [...Array(40).keys(), ...Array.from({ length: 57 }, (_, i) => 43 + i)];
  runs.flat().forEach(([px, py], k) => {
    const i = kept[k];
    close(px, fx.a + fx.b * x[i], 0.02, `x pixel of point ${i}`);
    close(py, fy.a + fy.b * y[i], 0.02, `y pixel of point ${i}`);
  });
  assert.equal(p.circles.length, 1);
  close(p.circles[0].cx, fx.a + fx.b * x[41], 0.02, 'isolated point x');
  close(p.circles[0].cy, fy.a + fy.b * y[41], 0.02, 'isolated point y');
  assert.equal(pathRuns(p.paths[1].d).flat().length, 100);
});

test('line chart: log y axis maps log10 linearly and drops values ≤ 0', () => {
  const x = [1, 2, 3, 4, 5, 6];
  const y = [0.2, 0.05, 0, 0.01, 0.004, 0.003];
  const p = parseSvg(lineChart([{ name: 'lr', x, y }], { logY: true }));
  assert.deepEqual(
    p.ticks.filter((t) => t.axis === 'y').map((t) => t.text),
    ['0.001', '0.01', '0.1', '1'],
  );
  const fy = axisFit(p.ticks, 'y', Math.log10);
  const runs = pathRuns(p.paths[0].d);
  assert.deepEqual(
    runs.map((r) => r.length),
    [2, 3],
  );
  for (const [k, i] of [0, 1, 3, 4, 5].entries()) close(runs.flat()[k][1], fy.a + fy.b * Math.log10(y[i]), 0.02, `log y of ${i}`);
});

test('line chart: long series are thinned per pixel column keeping extremes; empty input says no data', () => {
  const n = 50_000;
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const y = x.map((i) => Math.sin(i / 500) + (i === 31_337 ? 5 : 0) + (i === 777 ? -4 : 0));
  const p = parseSvg(lineChart([{ name: 'loss', x, y }], { width: 640 }));
  const pts = pathRuns(p.paths[0].d).flat();
  assert.ok(pts.length < 4 * 640, `${pts.length} points drawn`);
  const fy = axisFit(p.ticks, 'y');
  close(Math.min(...pts.map((q) => q[1])), fy.a + fy.b * Math.max(...y), 0.02, 'spike kept');
  close(Math.max(...pts.map((q) => q[1])), fy.a + fy.b * Math.min(...y), 0.02, 'dip kept');
  const xs = pts.map((q) => q[0]);
  assert.ok(
    xs.every((v, i) => i === 0 || v >= xs[i - 1]),
    'points stay in x order',
  );

  const e = parseSvg(lineChart([{ name: 'nothing', x: [1, 2], y: [Number.NaN, Number.NaN] }]));
  assert.equal(e.paths.length, 0);
  assert.ok(e.texts.some((t) => t.cls === 'empty' && t.text === 'no data'));
});

test('scatter chart: one circle per finite point, coloured by label, legend from class names', () => {
  const n = 3000;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    label[i] = i % 12;
    x[i] = Math.cos(i) * 40 + label[i];
    y[i] = Math.sin(i * 1.3) * 25 - label[i];
  }
  x[5] = Number.NaN;
  const names = Array.from({ length: 12 }, (_, k) => `class <${k}>`);
  const p = parseSvg(scatterChart({ x, y, label }, { classNames: names, title: 't-SNE', height: 700 }));
  assert.equal(p.circles.length, n - 1);
  assert.deepEqual(p.legend, names);
  for (let k = 0; k < 12; k++) {
    const mine = p.circles.filter((c) => c.label === String(k));
    assert.equal(mine.length, 250 - (k === 5 ? 1 : 0), `class ${k} count`);
    assert.ok(
      mine.every((c) => c.fill === categoricalColor(k)),
      `class ${k} colour`,
    );
  }
  assert.equal(new Set(Array.from({ length: 12 }, (_, k) => categoricalColor(k))).size, 12);
  const fx = axisFit(p.ticks, 'x');
  const fy = axisFit(p.ticks, 'y');
  // Circles are drawn grouped by class, in index order within a class.
  const order = [...Array(n).keys()].filter((i) => i !== 5).sort((a, b) => label[a] - label[b] || a - b);
  order.forEach((i, k) => {
    close(p.circles[k].cx, fx.a + fx.b * x[i], 0.02, `cx of ${i}`);
    close(p.circles[k].cy, fy.a + fy.b * y[i], 0.02, `cy of ${i}`);
  });
  // A legend that does not fit collapses its tail into "+N more".
  const small = parseSvg(scatterChart({ x, y, label }, { height: 200 }));
  assert.ok(small.legend.length < 12);
  assert.ok(small.texts.some((t) => t.text === `+${12 - small.legend.length} more`));
});

test('svgToPng renders at the requested width with visible, coloured content', async () => {
  const x = Array.from({ length: 50 }, (_, i) => i);
  const svg = lineChart([{ name: 'loss', x, y: x.map((v) => Math.exp(-v / 10)) }], { title: 'Loss' });
  for (const [width, expect] of [
    [undefined, [640, 360]],
    [960, [960, 540]],
  ] as const) {
    const png = await svgToPng(svg, { width });
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], expect);
    let dark = 0;
    let inked = 0;
    let blue = 0;
    for (let i = 0; i < data.length; i += 3) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (r + g + b < 300) dark++;
      if (r + g + b < 720) inked++;
      // The first series colour, #1f77b4, anti-aliased.
      if (Math.abs(r - 0x1f) < 40 && Math.abs(g - 0x77) < 40 && Math.abs(b - 0xb4) < 40) blue++;
    }
    const total = info.width * info.height;
    // Title, tick labels and frame: a few hundred near-black pixels, a few thousand non-white ones.
    assert.ok(dark > 200 && inked > total * 0.01, `text and axes drawn (${dark} dark, ${inked} non-white pixels)`);
    assert.ok(blue > info.width * 0.5, `curve drawn (${blue} blue pixels)`);
    assert.ok(inked < total * 0.5, `mostly white background (${inked} non-white pixels)`);
  }
});

test('loss and lr together: lr on a right-hand axis with its own nice ticks, both mapped linearly', () => {
  const iters = Array.from({ length: 48 }, (_, i) => (i + 1) * 10); // 10 … 480
  const loss = iters.map((_, i) => 0.13 + (4.74 * i) / 47); // 0.13 … 4.87
  const lr = iters.map((it) => 0.3 * Math.cos((it / 480) * (Math.PI / 2))); // 0.299 … 0
  const svg = lineChart(
    [
      { name: 'loss', x: iters, y: loss },
      { name: 'lr', x: iters, y: lr, axis: 'right' },
    ],
    { title: 'loss and lr', xLabel: 'iteration', yLabel: 'loss', y2Label: 'lr' },
  );
  const p = parseSvg(svg);
  assert.deepEqual(p.legend, ['loss', 'lr (right)']);
  // Height 360 with a one-line title → round((360 − 80) / 50) = 6 intervals per y axis.
  // Left: span 4.74 / 6 = 0.79, mantissa 7.9 ≥ √50 → step 1 → 0 … 5.
  assert.deepEqual(
    p.ticks.filter((t) => t.axis === 'y').map((t) => t.value),
    [0, 1, 2, 3, 4, 5],
  );
  // Right: lr spans [0, 0.3·cos(π/96)] ≈ [0, 0.2998]; 0.2998 / 6 = 0.04997, mantissa 5.0 in [√10, √50) → 0.05.
  const lo = Math.min(...lr);
  const hi = Math.max(...lr);
  const step = 0.05;
  const want: number[] = [];
  for (let k = Math.floor(lo / step); k <= Math.ceil(hi / step); k++) want.push(Number((k * step).toFixed(2)));
  assert.deepEqual(want, [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
  const right = p.ticks.filter((t) => t.axis === 'y2');
  assert.deepEqual(
    right.map((t) => t.value),
    want,
  );
  assert.deepEqual(
    right.map((t) => t.text),
    ['0', '0.05', '0.10', '0.15', '0.20', '0.25', '0.30'],
  );
  // Each series follows its own axis: pixel = a + b·value fitted through that axis' ticks.
  const fx = axisFit(p.ticks, 'x');
  const fy = axisFit(p.ticks, 'y');
  const fy2 = axisFit(p.ticks, 'y2');
  const [lossPts, lrPts] = p.paths.map((q) => pathRuns(q.d).flat());
  iters.forEach((it, i) => {
    close(lossPts[i][0], fx.a + fx.b * it, 0.02, `loss x ${i}`);
    close(lossPts[i][1], fy.a + fy.b * loss[i], 0.02, `loss y ${i}`);
    close(lrPts[i][1], fy2.a + fy2.b * lr[i], 0.02, `lr y ${i}`);
  });
  // Both axes span the same plot height; the right labels sit right of every data point.
  close(fy.a + fy.b * 0, fy2.a + fy2.b * 0, 0.02, 'both zeros on the bottom edge');
  const maxX = Math.max(...lossPts.map((q) => q[0]));
  assert.ok(right.every((t) => t.x > maxX));
  assert.ok(p.texts.some((t) => t.cls === 'axis-label y2' && t.text === 'lr'));
  // Without a left-axis series there is nothing to pair with: a single left axis.
  const solo = parseSvg(lineChart([{ name: 'lr', x: iters, y: lr, axis: 'right' }]));
  assert.equal(solo.ticks.filter((t) => t.axis === 'y2').length, 0);
  assert.deepEqual(solo.legend, ['lr']);
});

test('integer x (epochs): whole-number ticks only; fractional x keeps half steps', () => {
  // Epochs 1 … 3 over ~6 intervals: 2 / 6 = 0.33 → step 0.5 for real numbers, 1 for whole ones.
  assert.deepEqual(linearScale(1, 3, [0, 1], 6).ticks, [1, 1.5, 2, 2.5, 3]);
  assert.deepEqual(linearScale(1, 3, [0, 1], 6, true).ticks, [1, 2, 3]);
  // A single epoch is padded by whole epochs.
  assert.deepEqual(linearScale(4, 4, [0, 1], 6, true).ticks, [3, 4, 5]);
  // Larger spans keep their nice step (already whole): 0 … 200 → 50s at ~4 intervals.
  assert.deepEqual(linearScale(1, 200, [0, 1], 4, true).ticks, [0, 50, 100, 150, 200]);

  const epochs = [1, 2, 3];
  const acc = [30, 42, 47];
  const p = parseSvg(lineChart([{ name: 'knn_top1', x: epochs, y: acc }], { xLabel: 'epoch' }));
  assert.deepEqual(
    p.ticks.filter((t) => t.axis === 'x').map((t) => t.value),
    [1, 2, 3],
  );
  const f = parseSvg(lineChart([{ name: 'y', x: [1, 1.5, 3], y: acc }]));
  assert.ok(
    f.ticks.some((t) => t.axis === 'x' && !Number.isInteger(t.value)),
    'real-valued x may get fractional ticks',
  );
  const forced = parseSvg(lineChart([{ name: 'y', x: [1, 1.5, 3], y: acc }], { integerX: true }));
  assert.ok(forced.ticks.filter((t) => t.axis === 'x').every((t) => Number.isInteger(t.value)));
});
