/**
 * Checkpoints of a run (MMEngine's format: `{ meta, state_dict, optimizer, param_schedulers }` in a
 * `.pth` that Python's `torch.load` reads). Files are written atomically (temp file, fsync,
 * rename), then the `latest` pointer is replaced atomically, then old files beyond `keep` are
 * deleted: a crash at any moment leaves the previous checkpoint and a pointer to a whole file.
 */
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as torch from '@selfsup/torch';
import type { StateDict, StateValue } from '@selfsup/torch';

export const LATEST = 'latest';

/**
 * Saves `state` as `dir/name` and points `latest` at it. A failed write (a full disk, a lost
 * permission) names the checkpoint and says what survived: the writes are atomic, so the previous
 * checkpoint is whole and `latest` still points at it. `write` is `torch.save` (tests pass a
 * failing one).
 */
export function saveCheckpoint(
  dir: string,
  name: string,
  state: StateDict,
  write: (state: StateDict, file: string) => void = torch.save,
): string {
  const file = join(dir, name);
  const previous = latestCheckpoint(dir);
  let stage = 'write';
  try {
    write(state, file);
    stage = 'pointer';
    writeTextAtomic(join(dir, LATEST), `${name}\n`);
  } catch (e) {
    throw saveError(e, file, stage === 'pointer', previous);
  }
  return file;
}

const SAVE_CAUSE: Record<string, string> = {
  ENOSPC: 'the disk is full (ENOSPC)',
  EDQUOT: 'the disk quota is exhausted (EDQUOT)',
  EROFS: 'the file system is read-only (EROFS)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  EIO: 'an input/output error (EIO)',
};

function saveError(e: unknown, file: string, written: boolean, previous: string | null): Error {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const cause = SAVE_CAUSE[code] ?? (e as Error).message;
  const what = written
    ? `saved checkpoint ${file}, but could not point '${LATEST}' at it: ${cause}`
    : `cannot save checkpoint ${file}: ${cause}`;
  const kept = previous
    ? `the previous checkpoint ${previous} is intact and '${LATEST}' still points at it`
    : `there is no earlier checkpoint`;
  const fix = code === 'ENOSPC' || code === 'EDQUOT' ? `; free space in ${dirname(file)}, then resume with --resume` : '';
  const err = new Error(`${what}; ${kept}${fix}`, { cause: e });
  if (code) (err as NodeJS.ErrnoException).code = code;
  return err;
}

/** Writes a small text file atomically (temp file, fsync, rename). */
export function writeTextAtomic(path: string, text: string): void {
  torch.writeFileAtomic(path, (fd) => {
    writeSync(fd, text);
  });
}

/** The checkpoint `latest` points at, or null when there is none (or it points at a missing file). */
export function latestCheckpoint(dir: string): string | null {
  const ptr = join(dir, LATEST);
  if (!existsSync(ptr)) return null;
  const name = readFileSync(ptr, 'utf8').trim();
  const file = join(dir, name);
  return name && existsSync(file) ? file : null;
}

/**
 * Deletes the oldest `epoch_*.pth`/`iter_*.pth` files beyond the newest `keep` (never the one
 * `latest` points at, nor `best_*` files).
 */
export function pruneCheckpoints(dir: string, keep: number): string[] {
  if (keep <= 0 || !existsSync(dir)) return [];
  const latest = latestCheckpoint(dir);
  const files = readdirSync(dir)
    .filter((f) => /^(epoch|iter)_\d+\.pth$/.test(f))
    .map((f) => ({ f, n: Number(f.replace(/\D+/g, '')), t: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => a.t - b.t || a.n - b.n);
  const removed: string[] = [];
  for (const { f } of files.slice(0, Math.max(0, files.length - keep))) {
    if (latest && basename(latest) === f) continue;
    unlinkSync(join(dir, f));
    removed.push(f);
  }
  return removed;
}

/** Loads a checkpoint file, or a work dir / checkpoints dir through its `latest` pointer. */
export function loadCheckpoint(pathOrDir: string): { file: string; state: StateDict } {
  let file = resolve(pathOrDir);
  if (existsSync(file) && statSync(file).isDirectory()) {
    const found = latestCheckpoint(file) ?? latestCheckpoint(join(file, 'checkpoints'));
    if (!found) throw new Error(`checkpoint not found: no 'latest' checkpoint in ${file}`);
    file = found;
  }
  if (!existsSync(file)) throw new Error(`checkpoint not found: ${file}`);
  const state = loadCheckpointData(file);
  if (state === null || typeof state !== 'object' || Array.isArray(state) || state instanceof torch.Tensor)
    throw new Error(`${file}: not a checkpoint (expected a dict)`);
  return { file, state: state as StateDict };
}

/** `state[key]` as a record (for reading nested checkpoint entries). */
export function entry(state: StateDict, key: string, file = 'checkpoint'): StateDict {
  const v: StateValue | undefined = state[key];
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v) || v instanceof torch.Tensor)
    throw new Error(`${file}: missing or malformed '${key}'`);
  return v as StateDict;
}

/**
 * Classes real MMEngine/MMSelfSup checkpoints pickle outside the tensors: NumPy arrays and scalars
 * (in `meta` and the message hub's runtime info), MMEngine's `HistoryBuffer` (message hub) and
 * `ConfigDict` (configs kept in `meta`). They load as inert data without a word.
 */
const EXPECTED_GLOBALS = [
  /^numpy\.(_core|core)\.multiarray\.(_reconstruct|scalar)$/,
  /^numpy\.(ndarray|dtype)$/,
  /^numpy\.dtypes\.\w+DType$/,
  /^mmengine\.logging\.history_buffer\.HistoryBuffer$/,
  /^mmengine\.config\.config\.ConfigDict$/,
  /^mmcv\.utils\.config\.ConfigDict$/,
];

/** Where in `v` objects of classes outside the allow-list sit (`meta.foo` → its class). */
function unknownObjects(v: unknown, path: string, out: { path: string; global: string }[]): void {
  if (v === null || typeof v !== 'object' || v instanceof torch.Tensor || ArrayBuffer.isView(v)) return;
  if (v instanceof torch.PickledObject) {
    if (!EXPECTED_GLOBALS.some((re) => re.test(v.global))) out.push({ path, global: v.global });
    unknownObjects(v.args, path, out);
    unknownObjects(v.state, path, out);
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) unknownObjects(v[i], `${path}[${i}]`, out);
  } else for (const [k, x] of Object.entries(v)) unknownObjects(x, path ? `${path}.${k}` : k, out);
}

/**
 * Loads a `.pth` whose non-tensor parts may hold Python objects (MMEngine checkpoints): never
 * runs code (PyTorch's `weights_only` refuses such files; refusing would lock users out of their
 * MMSelfSup checkpoints). Objects of the classes MMEngine writes load as inert data; any other
 * class is kept inert too but warned about, naming the class and where it sits.
 */
export function loadCheckpointData(file: string): StateValue {
  const data = torch.load(file, { unknownGlobals: 'inert' });
  const found: { path: string; global: string }[] = [];
  unknownObjects(data, '', found);
  for (const { path, global } of found)
    console.warn(
      `selfsup: ${file}: ${path || 'the top level'} holds an object of unknown class '${global}' (kept as inert data, never run)`,
    );
  return data;
}
