import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { writeReport } from '../../src/evaluation/report.js';

const CHROMIUM = '/usr/bin/chromium';
const root = mkdtempSync(join(tmpdir(), 'selfsup-report-'));

/** A synthetic 6-epoch run: 8 train records per epoch, one val record per epoch, a truncated tail. */
function makeWorkDir(): { dir: string; trainRecords: number; epochs: number } {
  const dir = join(root, 'simclr_resnet18');
  mkdirSync(dir, { recursive: true });
  const config = {
    model: { type: 'SimCLR', backbone: { type: 'ResNet', depth: 18 }, head: { type: 'ContrastiveHead', temperature: 0.1 } },
    optimizer: { type: 'LARS', lr: 0.3 },
    note: '</pre><script>alert(1)</script>',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const lines: string[] = [];
  let t = 1732860000;
  const epochs = 6;
  for (let e = 1; e <= epochs; e++) {
    for (let i = 1; i <= 8; i++) {
      const iter = (e - 1) * 80 + i * 10;
      t += 2.5;
      const lc = 5 * Math.exp(-iter / 200);
      lines.push(
        JSON.stringify({
          mode: 'train',
          epoch: e,
          iter,
          time: t,
          lr: 0.3 * Math.cos((iter / 480) * (Math.PI / 2)),
          loss: lc + 0.1,
          loss_contrastive: lc,
          data_time: 0.004,
          iter_time: 0.25,
          imgs_per_sec: 256,
        }),
      );
    }
    lines.push(JSON.stringify({ mode: 'val', epoch: e, iter: e * 80, time: t, knn_top1: 30 + 5 * e, knn_top5: 70 + 3 * e }));
  }
  writeFileSync(join(dir, 'log.jsonl'), `${lines.join('\n')}\n{"mode":"train","ep`);
  return { dir, trainRecords: 8 * epochs, epochs };
}

/**
 * Runs in the page (a string, so this Node-typed project needs no DOM typings): what each chart,
 * image and table of the report holds as the browser laid it out.
 */
const PAGE_PROBE = `(() => {
  const text = (el) => (el ? el.textContent : '') || '';
  const charts = [...document.querySelectorAll('svg.chart')].map((svg) => ({
    section: svg.closest('section')?.id ?? '',
    kind: svg.getAttribute('class') ?? '',
    title: text(svg.querySelector('text.title')),
    legend: [...svg.querySelectorAll('g.legend-item text')].map(text),
    paths: [...svg.querySelectorAll('path.line')].map((p) => {
      const b = p.getBBox();
      return { length: p.getTotalLength(), w: b.width, h: b.height, points: (p.getAttribute('d') ?? '').split(/[ML]/).length - 1 };
    }),
    circles: svg.querySelectorAll('circle.point').length,
    ticks: svg.querySelectorAll('text.tick').length,
  }));
  const rows = (sel) => [...document.querySelectorAll(sel)].map((r) => [...r.children].map(text));
  const details = document.querySelector('#config details');
  return {
    title: document.title,
    h1: text(document.querySelector('h1')),
    charts,
    imgs: [...document.images].map((i) => ({ w: i.naturalWidth, h: i.naturalHeight, complete: i.complete })),
    tables: [...document.querySelectorAll('#evaluation table')].map((t) => [...t.querySelectorAll('tr')].map((r) => [...r.children].map(text))),
    timings: rows('#timings tr'),
    scripts: document.querySelectorAll('script').length,
    configOpen: details ? details.open : null,
    configText: text(details && details.querySelector('pre')),
    note: text(document.querySelector('#summary .note')),
  };
})()`;

interface PageInfo {
  title: string;
  h1: string;
  charts: {
    section: string;
    kind: string;
    title: string;
    legend: string[];
    paths: { length: number; w: number; h: number; points: number }[];
    circles: number;
    ticks: number;
  }[];
  imgs: { w: number; h: number; complete: boolean }[];
  tables: string[][][];
  timings: string[][];
  scripts: number;
  configOpen: boolean | null;
  configText: string;
  note: string;
}

test('report.html renders in headless Chromium: charts with geometry, decoded images, no errors, no requests', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`,
}, async () => {
  const { dir, trainRecords, epochs } = makeWorkDir();
  const n = 400;
  const coords = new Float64Array(2 * n);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    labels.push(i % 4);
    coords[2 * i] = Math.cos(i) * 10 + (i % 4) * 20;
    coords[2 * i + 1] = Math.sin(i) * 10;
  }
  coords[2 * 7] = Number.NaN; // not drawn
  const views = await sharp({ create: { width: 96, height: 48, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toBuffer();
  const path = await writeReport(dir, {
    tsne: { coords, labels, classNames: ['airplane', 'automobile', 'bird', 'cat'] },
    viewsPng: views,
    evaluation: {
      knn: { ssl: { top1: 71.25, top5: 97.5 }, random: { top1: 30.5, top5: 70.25 }, pixels: { top1: 38.75, top5: 80 } },
      linear: { ssl: { top1: 75.3 } },
    },
    timings: { pretrain: 812.4, knn: 21.3 },
  });
  assert.equal(path, join(dir, 'report.html'));
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'log.jsonl', 'report.html'], 'no temporary file left behind');

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(path).href;
    await page.goto(url, { waitUntil: 'load' });

    const info = (await page.evaluate(PAGE_PROBE)) as PageInfo;

    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url], 'the page itself is the only request');
    assert.equal(info.h1, 'SimCLR: simclr_resnet18');
    assert.match(info.note, /truncated last line/);

    const byTitle = new Map(info.charts.map((c) => [c.title, c]));
    const loss = byTitle.get('Loss');
    assert.ok(loss, `charts: ${[...byTitle.keys()]}`);
    assert.deepEqual(loss.legend, ['loss', 'loss_contrastive']);
    assert.deepEqual(
      loss.paths.map((p) => p.points),
      [trainRecords, trainRecords],
    );
    const knn = byTitle.get('Online kNN accuracy');
    assert.ok(knn && knn.section === 'validation');
    assert.deepEqual(
      knn.paths.map((p) => p.points),
      [epochs, epochs],
    );
    assert.ok(byTitle.has('Learning rate') && byTitle.has('Time per iteration') && byTitle.has('imgs_per_sec'));
    for (const c of info.charts) {
      assert.ok(c.ticks >= 4, `${c.title}: ${c.ticks} ticks`);
      if (c.kind.includes('line-chart')) {
        assert.ok(c.paths.length > 0, `${c.title} has paths`);
        for (const p of c.paths) assert.ok(p.length > 0 && p.w > 0, `${c.title}: path with geometry ${JSON.stringify(p)}`);
      }
    }
    const tsne = info.charts.filter((c) => c.kind.includes('scatter-chart'));
    assert.equal(tsne.length, 1);
    assert.equal(tsne[0].circles, n - 1);
    assert.deepEqual(tsne[0].legend, ['airplane', 'automobile', 'bird', 'cat']);

    assert.deepEqual(info.imgs, [{ w: 96, h: 48, complete: true }]);
    assert.deepEqual(info.tables[0], [
      ['', 'top1', 'top5'],
      ['ssl', '71.25', '97.5'],
      ['random', '30.5', '70.25'],
      ['pixels', '38.75', '80'],
    ]);
    assert.deepEqual(info.tables[1], [
      ['', 'top1'],
      ['ssl', '75.3'],
    ]);
    assert.deepEqual(info.timings, [
      ['pretrain', '812.4 s', '0:13:32'],
      ['knn', '21.3 s', '0:00:21'],
    ]);
    assert.equal(info.scripts, 0, 'config text is escaped, not markup');
    assert.equal(info.configOpen, false);
    assert.deepEqual(JSON.parse(info.configText), JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));

    const shot = await page.screenshot({ fullPage: true });
    const { data, info: meta } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.equal(meta.width, 1280);
    assert.ok(meta.height > 900, `full page is taller than the viewport (${meta.height})`);
    let coloured = 0;
    for (let i = 0; i < data.length; i += 3)
      if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 60) coloured++;
    assert.ok(coloured > 2000, `curves, points and the views image are visible (${coloured} coloured pixels)`);
  } finally {
    await browser.close();
  }
});

test('a work dir without config or log still gets a report that says so', async () => {
  const dir = join(root, 'empty_run');
  mkdirSync(dir, { recursive: true });
  const path = await writeReport(dir, { timings: { total: 3 } });
  const html = readFileSync(path, 'utf8');
  assert.match(html, /config\.json not found/);
  assert.match(html, /cannot read .*log\.jsonl: no such file/);
  assert.match(html, /<section id="timings">/);
  assert.doesNotMatch(html, /<svg/);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external resources');
});
