/** Atomic file writes: the previous file at `path` survives any crash mid-write. */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** `<name>.tmp-<pid>-<suffix>`: the temp name carries the writer's PID so a survivor can be attributed. */
const TEMP = /\.tmp-(\d+)-[0-9a-z]*$/;

/** The temporary name `writeAtomic` writes `path` through (the PID lets `removeStaleTemps` judge it). */
export function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Writes `path` atomically: the bytes go to a temporary file in the same folder, which is
 * fsynced and then renamed over `path`, so a crash never leaves a half-written file there.
 */
export function writeAtomic(path: string, body: (fd: number) => void): void {
  const tmp = tempPath(path);
  const fd = openSync(tmp, 'w');
  let ok = false;
  try {
    body(fd);
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) unlinkQuiet(tmp);
  }
  renameDurable(tmp, path);
}

function unlinkQuiet(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // already gone
  }
}

function renameDurable(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    unlinkQuiet(from);
    throw e;
  }
  try {
    const d = openSync(dirname(to), 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  }
}

/** Whether a process with this PID exists (EPERM: it does, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes the temporaries a killed writer left in `dir` (`*.tmp-<pid>-*` of PIDs that no longer
 * run) and returns their names. A temp of a live process (another rank, another run sharing the
 * folder, this process) is in use and stays.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    unlinkQuiet(join(dir, name));
    removed.push(name);
  }
  return removed;
}
