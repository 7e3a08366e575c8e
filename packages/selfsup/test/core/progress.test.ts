import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatProgress, formatSignificant, Progress } from '../../src/core/progress.js';

/** A stream that records what is written, as a terminal (isTTY) or a pipe. */
function fakeStream(isTTY: boolean, columns = 200) {
  const writes: string[] = [];
  return { writes, isTTY, columns, write: (s: string) => writes.push(s) };
}

test('formatSignificant: 4 significant digits, exponent outside [1e-4, 1e4)', () => {
  const cases: [number, string][] = [
    [0.123456, '0.1235'],
    [12.3456, '12.35'],
    [1234.56, '1235'],
    [6.9, '6.900'],
    [123456, '1.235e+5'],
    [0.0000123456, '1.235e-5'],
    [-2.71234, '-2.712'],
    [0, '0'],
  ];
  for (const [x, want] of cases) assert.equal(formatSignificant(x), want, String(x));
  // Whatever the magnitude, 4 significant digits survive a round trip to within half a unit.
  for (const x of [3.14159e-3, 271.828, 99999.4]) {
    const back = Number(formatSignificant(x));
    const ulp = 10 ** (Math.floor(Math.log10(Math.abs(x))) - 3);
    assert.ok(Math.abs(back - x) <= ulp / 2 + 1e-12, `${x} → ${formatSignificant(x)}`);
  }
});

test('formatProgress: ETA = elapsed × remaining / done; at most 80 columns however long the fields', () => {
  // 25 of 100 in 10 s: 75 remain at 0.4 s each = 30 s.
  const line = formatProgress({ label: 'train', done: 25, total: 100, elapsed: 10, info: { loss: 0.123456 } });
  assert.match(line, /^train \[######\.{18}\] 25\/100 {2}loss 0\.1235 {2}eta 0:00:30$/);
  assert.equal(formatDuration(3725), '1:02:05');
  // Nothing done yet: no estimate.
  assert.match(formatProgress({ label: 'knn', done: 0, total: 10, elapsed: 3 }), /eta \?$/);
  const long = formatProgress({
    label: 'linear probe',
    done: 123456,
    total: 1234567,
    elapsed: 3600,
    info: { epoch: '17/100', loss: 1.23456789, lr: 0.000123456, top1: 98.7654 },
  });
  assert.ok(long.length <= 80, `${long.length}: ${long}`);
  assert.match(long, /loss 1\.235/);
  for (const columns of [40, 60, 80]) {
    const l = formatProgress({ label: 'features', done: 5, total: 10, elapsed: 1, info: { loss: 2.5 } }, columns);
    assert.ok(l.length <= columns, `${columns}: ${l}`);
  }
});

test('Progress: redraws in place on a TTY (throttled to 10/s), plain lines every N s otherwise', () => {
  let now = 0;
  const tty = fakeStream(true);
  const p = new Progress('features', 4, { stream: tty, now: () => now });
  p.update(1);
  now = 0.05;
  p.update(2); // within 100 ms: skipped
  now = 0.2;
  p.update(3);
  now = 0.21;
  p.update(4); // the last update always draws
  assert.equal(tty.writes.length, 3);
  for (const w of tty.writes) assert.ok(w.startsWith('\r') && w.endsWith('\x1b[K') && !w.includes('\n'));
  assert.match(tty.writes[2], /features \[#+\] 4\/4 +eta 0:00:00/);
  p.done();
  assert.equal(tty.writes.at(-1), '\r\x1b[K');

  now = 0;
  const pipe = fakeStream(false);
  const q = new Progress('knn', 100, { stream: pipe, now: () => now, plainEverySeconds: 10 });
  for (let i = 1; i <= 100; i++) {
    now = i * 0.25; // 25 s in all: lines at 10 s and 20 s
    q.update(i, { loss: 1 / i });
  }
  q.done();
  assert.equal(pipe.writes.length, 2, pipe.writes.join(''));
  for (const w of pipe.writes) assert.ok(w.endsWith('\n') && !w.includes('\r') && w.length <= 81);
  // At 10 s, 40 done: 60 remain at 0.25 s = 15 s.
  assert.match(pipe.writes[0], /^knn \[.*\] 40\/100 {2}loss 0\.02500 {2}eta 0:00:15\n$/);

  const silent = fakeStream(true);
  const r = new Progress('x', 2, { stream: silent, enabled: false });
  r.update(1);
  r.update(2);
  r.done();
  assert.equal(silent.writes.length, 0);
});
