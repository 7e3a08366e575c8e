/** Atomic file writes: the previous file at `path` survives any crash mid-write. */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `path` atomically: the bytes go to a temporary file in the same folder, which is
 * fsynced and then renamed over `path`, so a crash never leaves a half-written file there.
 */
export function writeAtomic(path: string, body: (fd: number) => void): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
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
