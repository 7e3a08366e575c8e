/** Where training is: the one piece of runner state that models may read. */

/** Where training is: what schedules inside an algorithm (momentum, temperature warm-up) read. */
export interface TrainProgress {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based global iteration (counted across epochs). */
  iter: number;
  maxEpochs: number;
  maxIters: number;
}

/** Where progress is drawn: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** `h:mm:ss`; `?` for an unknown or infinite duration. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A number to 4 significant digits (`0.1235`, `12.35`, `1235`, `1.235e+5`), as the bars show losses. */
export function formatSignificant(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(x)));
  // Plain notation while it needs no more characters than 4 digits and a point; exponent otherwise.
  return e >= digits || e < -4 ? x.toExponential(digits - 1) : x.toPrecision(digits);
}

/** What one progress line shows. */
export interface ProgressState {
  label: string;
  done: number;
  total: number;
  /** Seconds since the step began. */
  elapsed: number;
  /** Extra fields: numbers print to 4 significant digits. */
  info?: Record<string, number | string>;
}

/**
 * One progress line of at most `columns` characters (default 80):
 * `label [#####.....] done/total  key value …  eta h:mm:ss`. The bar shrinks (and then goes) before
 * the fields and the ETA are cut; the ETA is elapsed × remaining / done.
 */
export function formatProgress(p: ProgressState, columns = 80): string {
  const eta = p.done > 0 ? (p.elapsed * (p.total - p.done)) / p.done : Number.NaN;
  const fields = Object.entries(p.info ?? {})
    .map(([k, v]) => `${k} ${typeof v === 'number' ? formatSignificant(v) : v}`)
    .join('  ');
  const count = `${p.done}/${p.total}`;
  const tail = `${fields ? `  ${fields}` : ''}  eta ${p.done >= p.total ? formatDuration(0) : formatDuration(eta)}`;
  const fixed = `${p.label} [] ${count}${tail}`.length;
  const width = Math.min(24, columns - fixed);
  if (width < 5) return `${p.label} ${count}${tail}`.slice(0, columns);
  const filled = p.total > 0 ? Math.min(width, Math.round((width * p.done) / p.total)) : 0;
  return `${p.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}${tail}`;
}

/**
 * Progress of one long step (training, feature extraction, kNN, probe epochs, downloads, t-SNE),
 * always on stderr: on a terminal one line redrawn in place (at most 10 times a second), elsewhere
 * a plain line every `plainEverySeconds` (default 30; 0 for none) so logs and CI show it is alive
 * without flooding them.
 */
export class Progress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly start: number;
  private readonly now: () => number;
  private readonly plainEvery: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private state: ProgressState;

  constructor(
    label: string,
    total: number,
    o: { stream?: ProgressStream; enabled?: boolean; plainEverySeconds?: number; now?: () => number } = {},
  ) {
    this.stream = o.stream ?? process.stderr;
    this.now = o.now ?? (() => performance.now() / 1000);
    this.start = this.now();
    const enabled = o.enabled ?? true;
    this.tty = enabled && this.stream.isTTY === true;
    this.plainEvery = enabled ? (o.plainEverySeconds ?? 30) : 0;
    this.state = { label, done: 0, total, elapsed: 0 };
  }

  /** Records `done` of the total (and fields to show) and draws when it is time to. */
  update(done: number, info?: Record<string, number | string>, total = this.state.total): void {
    const t = this.now();
    this.state = { ...this.state, done, total, info, elapsed: t - this.start };
    const finished = done >= total;
    if (this.tty) {
      if (t - this.lastDraw < 0.1 && !finished) return;
      this.stream.write(`\r${formatProgress(this.state, Math.min(80, (this.stream.columns ?? 80) - 1))}\x1b[K`);
      this.drawn = true;
    } else {
      // The first plain line comes `plainEvery` seconds in: short steps print nothing.
      if (this.plainEvery <= 0 || t - Math.max(this.lastDraw, this.start) < this.plainEvery) return;
      this.stream.write(`${formatProgress(this.state)}\n`);
    }
    this.lastDraw = t;
  }

  /** Clears the redrawn line (so a log line can be printed); the next update draws it again. */
  clear(): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  /** The step is over: the line goes. */
  done(): void {
    this.clear();
  }
}

/** What a long step reports to: a {@link Progress}, or anything with its two methods (a test's recorder). */
export interface ProgressSink {
  update(done: number, info?: Record<string, number | string>, total?: number): void;
  done(): void;
}

/**
 * Makes one sink per long step (`label`, `total` units). Library functions take one as an option and
 * stay silent without it, so only the command line (which passes {@link progressBars}) draws bars.
 */
export type ProgressFactory = (label: string, total: number) => ProgressSink;

/** The command line's factory: a {@link Progress} bar on stderr per step. */
export const progressBars: ProgressFactory = (label, total) => new Progress(label, total);
