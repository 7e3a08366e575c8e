/**
 * Creating a run's output folders with errors that name the folder and the cause (issue 17, item
 * 7): a work dir under a read-only or permission-less place says it is not writable instead of
 * surfacing `ENOENT`/`EACCES` from `mkdir`.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'the file system refuses new entries there',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
};

/**
 * Creates `dir` and its missing parents and checks that it is writable; `label` names what the
 * folder is for in the error (`work dir /x/run`). Folders are created one level at a time: Node's
 * recursive `mkdir` reports a refused parent as `ENOENT` (and under /proc never returns).
 */
export function makeWritableDir(dir: string, label = `work dir ${resolve(dir)}`): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let existing = target;
  while (!existsSync(existing) && dirname(existing) !== existing) {
    missing.unshift(existing);
    existing = dirname(existing);
  }
  if (!statSync(existing).isDirectory()) throw new Error(`${label} cannot be created: ${existing} is a file, not a folder`);
  let at = existing;
  try {
    for (const d of missing) {
      at = d;
      try {
        mkdirSync(d);
      } catch (e) {
        // Created meanwhile by another process (a second rank): fine.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    at = target;
    accessSync(target, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const why = WHY[code] ? `${WHY[code]} (${code})` : (e as Error).message;
    const where =
      at === target && !missing.includes(target) ? `cannot write in ${target}` : `cannot create ${at} in ${dirname(at)}`;
    throw new Error(`${label} is not writable: ${where}: ${why}`, { cause: e });
  }
}
