/**
 * Publishing a pre-trained backbone from a `selfsup train` checkpoint, as MMSelfSup's
 * `extract_backbone_weights.py` + `publish_model.py` do: only the backbone's state dict (the
 * `backbone.` prefix stripped; no optimizer, message hub, neck or head), optionally cast to fp16,
 * written as `.pth` and/or `.safetensors` named `<name>-<first 8 hex digits of its sha256>.<ext>`,
 * with a JSON model card beside it (config, data, training length, checksums, versions and the
 * evaluation numbers the work dir holds).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { entry, loadCheckpoint, writeTextAtomic } from '../engine/checkpoint.js';
import { type Config, validateConfig } from '../engine/config/config.js';
import type { ConfigObject } from '../engine/config/merge.js';
import { readLog } from '../visualization/log-records.js';

export const SELFSUP_VERSION = '0.1.0';

export type BackboneFormat = 'pth' | 'safetensors' | 'both';

export interface ExportBackboneOptions {
  /** Output directory (default: the checkpoint's work dir, else beside the checkpoint). */
  outDir?: string;
  /** File name stem before the checksum (default `<expName or checkpoint name>_backbone`). */
  name?: string;
  fp16?: boolean;
  /** Default `'pth'`. */
  format?: BackboneFormat;
  /** Entries merged into the card (a JSON object). */
  cardExtra?: Record<string, unknown>;
}

export interface ExportedFile {
  path: string;
  format: 'pth' | 'safetensors';
  sha256: string;
  bytes: number;
}

export interface ExportBackboneResult {
  files: ExportedFile[];
  card: string;
  keys: number;
  parameters: number;
}

/** The backbone entries of an algorithm state dict, without the `backbone.` prefix. */
export function backboneStateDict(stateDict: Record<string, unknown>, file = 'checkpoint'): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(stateDict)) {
    if (!k.startsWith('backbone.')) continue;
    if (!(v instanceof torch.Tensor)) throw new TypeError(`${file}: state_dict['${k}'] is not a tensor`);
    out[k.slice('backbone.'.length)] = v;
  }
  if (Object.keys(out).length === 0) throw new Error(`${file}: the state dict has no 'backbone.*' entries`);
  return out;
}

/** The work dir a checkpoint belongs to (`<work>/checkpoints/x.pth` → `<work>`), or null. */
function workDirOf(checkpoint: string): string | null {
  const dir = dirname(checkpoint);
  return basename(dir) === 'checkpoints' ? dirname(dir) : null;
}

/** `sha256` of a file as lower-case hex. */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * The result `selfsup eval … --json` printed (its last line: `{ task, results, … }`), as saved in a
 * file such as a work dir's `eval.json`; throws a SyntaxError when the last line is not that JSON.
 */
export function readEvalJson(path: string): { task?: string; results?: unknown } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const r = JSON.parse(lines[lines.length - 1]) as unknown;
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new SyntaxError(`${path}: not a JSON object`);
  return r as { task?: string; results?: unknown };
}

/**
 * kNN / linear numbers of the work dir: `eval.json` (what `selfsup eval … --json` prints, saved
 * there) when present, and the last online kNN accuracy the `knnMonitor` hook logged.
 */
export function evaluationNumbers(workDir: string | null): { knn: unknown; linear: unknown; knnOnline: unknown } {
  let knn: unknown = null;
  let linear: unknown = null;
  let knnOnline: unknown = null;
  if (!workDir) return { knn, linear, knnOnline };
  for (const file of ['eval.json', 'eval_knn.json', 'eval_linear.json']) {
    const p = join(workDir, file);
    if (!existsSync(p)) continue;
    try {
      const r = readEvalJson(p);
      if (r.task === 'knn') knn = r.results ?? null;
      else if (r.task === 'linear') linear = r.results ?? null;
    } catch {
      console.warn(`selfsup export: ${p} is not the JSON of 'selfsup eval --json'; ignored`);
    }
  }
  if (existsSync(join(workDir, 'log.jsonl'))) {
    const records = readLog(workDir).records.filter((r) => Number.isFinite(r.values.knn_top1));
    const last = records[records.length - 1];
    if (last) knnOnline = { top1: last.values.knn_top1, top5: last.values.knn_top5 ?? null, epoch: last.epoch };
  }
  return { knn, linear, knnOnline };
}

/** Dataset type and root of the training data, as the config names them. */
function dataOf(cfg: Config): { type: unknown; root: unknown } {
  const ds = cfg.trainDataloader.dataset as Record<string, unknown>;
  return { type: ds.type ?? null, root: ds.dataRoot ?? ds.root ?? ds.path ?? null };
}

/** Writes via a temporary name, then renames to `<stem>-<sha8>.<ext>` (publish_model's naming). */
function writeHashed(dir: string, stem: string, ext: 'pth' | 'safetensors', write: (p: string) => void): ExportedFile {
  const tmp = join(dir, `.${stem}.tmp-${process.pid}.${ext}`);
  write(tmp);
  const sha256 = sha256File(tmp);
  const path = join(dir, `${stem}-${sha256.slice(0, 8)}.${ext}`);
  renameSync(tmp, path);
  return { path, format: ext, sha256, bytes: statSync(path).size };
}

/** See the module doc; `checkpoint` is a checkpoint file or a work dir (its `latest`). */
export function exportBackbone(checkpoint: string, o: ExportBackboneOptions = {}): ExportBackboneResult {
  const ck = loadCheckpoint(checkpoint);
  const meta = entry(ck.state, 'meta', ck.file);
  if (typeof meta.config !== 'string') throw new Error(`${ck.file}: no embedded config (not written by selfsup train)`);
  const cfg = validateConfig(JSON.parse(meta.config) as ConfigObject);
  const sd = backboneStateDict(entry(ck.state, 'state_dict', ck.file), ck.file);
  const workDir = workDirOf(ck.file);
  const outDir = resolve(o.outDir ?? workDir ?? dirname(ck.file));
  mkdirSync(outDir, { recursive: true });
  const stem = o.name ?? `${cfg.expName || basename(workDir ?? ck.file).replace(/\.pth$/, '')}_backbone`;
  if (!/^[\w.+-]+$/.test(stem))
    throw new RangeError(`export backbone: name '${stem}' must be letters, digits, '_', '-', '.', '+'`);
  const format = o.format ?? 'pth';

  return torch.tidy(() => {
    // fp16 casts floating tensors only: integer buffers (num_batches_tracked) keep their type.
    const tensors: Record<string, Tensor> = {};
    let parameters = 0;
    for (const [k, v] of Object.entries(sd)) {
      tensors[k] = o.fp16 && torch.isFloatingPoint(v.dtype) ? v.half() : v;
      if (torch.isFloatingPoint(v.dtype)) parameters += v.numel();
    }
    const files: ExportedFile[] = [];
    if (format === 'pth' || format === 'both') files.push(writeHashed(outDir, stem, 'pth', (p) => torch.save(tensors, p)));
    if (format === 'safetensors' || format === 'both')
      files.push(writeHashed(outDir, stem, 'safetensors', (p) => torch.save(tensors, p)));
    const card = {
      name: stem,
      config: cfg.expName ?? null,
      algorithm: cfg.model.type,
      backbone: (cfg.model as { backbone?: { type?: string } }).backbone?.type ?? null,
      resolvedConfig: cfg,
      data: dataOf(cfg),
      epochs: Number(meta.epoch ?? 0),
      iters: Number(meta.iter ?? 0),
      checkpoint: ck.file,
      dtype: o.fp16 ? 'float16' : 'float32',
      keys: Object.keys(tensors).length,
      parameters,
      files: files.map((f) => ({ file: basename(f.path), format: f.format, sha256: f.sha256, bytes: f.bytes })),
      date: new Date().toISOString(),
      versions: { selfsup: SELFSUP_VERSION, libtorch: torch.version },
      evaluation: evaluationNumbers(workDir),
      ...o.cardExtra,
    };
    const cardPath = join(outDir, `${stem}.json`);
    writeTextAtomic(cardPath, `${JSON.stringify(card, null, 2)}\n`);
    return { files, card: cardPath, keys: card.keys, parameters };
  });
}
