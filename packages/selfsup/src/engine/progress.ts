/** Console progress: a bar with ETA on a terminal, one line per logging interval otherwise. */

/** `h:mm:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A one-line bar `[#####.....] 50/100` that redraws in place on a TTY and stays silent otherwise. */
export class ProgressBar {
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    enabled = true,
  ) {
    this.tty = enabled && stream.isTTY === true;
  }

  /** Redraws (at most 10 times a second) with `done` of `total` and a suffix. */
  update(done: number, total: number, suffix: string): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const width = 24;
    const filled = total > 0 ? Math.round((width * done) / total) : 0;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${suffix}`;
    const cols = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
  }

  /** Clears the bar's line so that a log line can be printed. */
  clear(): void {
    if (this.tty) this.stream.write('\r\x1b[K');
  }
}
