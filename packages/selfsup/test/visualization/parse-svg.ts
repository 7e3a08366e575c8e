/**
 * Test helper: parses an SVG document with Python's xml.etree (an independent, strict XML parser —
 * malformed or badly escaped output fails here) and returns the elements the chart tests inspect.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PYTHON } from '../helpers.js';

export interface ParsedSvg {
  width: number;
  height: number;
  title: string | null;
  /** The title's lines (its `<tspan>`s), and the SVG's `<title>` (the full title, as a tooltip). */
  titleLines: string[];
  tooltip: string | null;
  /** `<path class="line">`: its `d` attribute and the enclosing series' data-name. */
  paths: { d: string; series: string | null; stroke: string | null }[];
  /** Every `<circle class="point">` with the fill of its group (scatter) or its own fill (line dots). */
  circles: { cx: number; cy: number; fill: string | null; label: string | null }[];
  ticks: { axis: 'x' | 'y' | 'y2'; value: number; text: string; x: number; y: number }[];
  legend: string[];
  texts: { cls: string; text: string }[];
}

const CODE = `
import json, sys
import xml.etree.ElementTree as ET
NS = '{http://www.w3.org/2000/svg}'
root = ET.fromstring(sys.stdin.read())
assert root.tag == NS + 'svg', root.tag
tip = root.find(NS + 'title')
out = {'width': float(root.get('width')), 'height': float(root.get('height')), 'title': None,
       'titleLines': [], 'tooltip': tip.text if tip is not None else None,
       'paths': [], 'circles': [], 'ticks': [], 'legend': [], 'texts': []}
def walk(el, series, group_fill, label):
    cls = (el.get('class') or '').split()
    if el.tag == NS + 'g' and 'series' in cls: series = el.get('data-name')
    if el.tag == NS + 'g' and 'points' in cls: group_fill, label = el.get('fill'), el.get('data-label')
    if el.tag == NS + 'path' and 'line' in cls:
        out['paths'].append({'d': el.get('d'), 'series': series, 'stroke': el.get('stroke')})
    if el.tag == NS + 'circle' and 'point' in cls:
        out['circles'].append({'cx': float(el.get('cx')), 'cy': float(el.get('cy')), 'fill': el.get('fill') or group_fill, 'label': label})
    if el.tag == NS + 'text':
        text = ''.join(el.itertext())
        out['texts'].append({'cls': el.get('class') or '', 'text': text})
        if 'title' in cls:
            out['title'] = text
            out['titleLines'] = [''.join(t.itertext()) for t in el.findall(NS + 'tspan')]
        if 'tick' in cls:
            out['ticks'].append({'axis': cls[1], 'value': float(el.get('data-value')), 'text': text,
                                 'x': float(el.get('x')), 'y': float(el.get('y'))})
    if el.tag == NS + 'g' and 'legend-item' in cls:
        out['legend'].append(''.join(el.find(NS + 'text').itertext()))
    for c in el: walk(c, series, group_fill, label)
walk(root, None, None, None)
print(json.dumps(out))
`;

/** Parses `svg` (throws with Python's error when it is not well-formed XML). */
export function parseSvg(svg: string): ParsedSvg {
  const r = spawnSync(PYTHON, ['-c', CODE], { input: svg, encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `SVG did not parse:\n${r.stderr}`);
  return JSON.parse(r.stdout) as ParsedSvg;
}

/** The points of a path's `d` (M/L absolute commands only, as the charts write them), split at each M. */
export function pathRuns(d: string): [number, number][][] {
  const runs: [number, number][][] = [];
  for (const m of d.matchAll(/([ML])\s*(-?[\d.]+)[ ,](-?[\d.]+)/g)) {
    if (m[1] === 'M') runs.push([]);
    runs[runs.length - 1].push([Number(m[2]), Number(m[3])]);
  }
  return runs;
}

/** Least-squares line `pixel = a + b·value` through the ticks of one axis (values mapped by `f`). */
export function axisFit(
  ticks: ParsedSvg['ticks'],
  axis: 'x' | 'y' | 'y2',
  f: (v: number) => number = (v) => v,
): { a: number; b: number } {
  const t = ticks.filter((k) => k.axis === axis);
  const xs = t.map((k) => f(k.value));
  const ps = t.map((k) => (axis === 'x' ? k.x : k.y));
  const n = xs.length;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const mp = ps.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ps[i] - mp);
    sxx += (xs[i] - mx) ** 2;
  }
  const b = sxy / sxx;
  return { a: mp - b * mx, b };
}
