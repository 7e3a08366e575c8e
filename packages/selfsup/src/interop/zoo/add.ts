/**
 * `selfsup zoo add`: turns a `selfsup train` work dir into a zoo entry. The backbone is exported as
 * `selfsup export backbone` does it (`.pth` named by its sha256, fp32 or fp16, with its card), the run's
 * `config.json` and `log.jsonl` (and optionally the full checkpoint) are copied beside it into
 * `<zoo>/<name>/`, the kNN / linear numbers come from `selfsup eval … --json` results, and the
 * entry replaces any entry of the same name in `zoo.json`, which is written atomically.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import * as torch from '@selfsup/torch';
import { evaluationNumbers, exportBackbone, readEvalJson, SELFSUP_VERSION, sha256File } from '../export-backbone.js';
import { isMeanStd } from '../../evaluation/repeat.js';
import {
  checkEntry,
  entryFiles,
  readManifest,
  withEntry,
  writeManifest,
  type ZooEntry,
  ZooError,
  type ZooFile,
  ZOO_MANIFEST,
} from './manifest.js';

export interface ZooAddOptions {
  /** The zoo directory (created when missing). */
  zoo: string;
  name: string;
  /** `selfsup eval knn --json` output (default: the work dir's eval.json / eval_knn.json). */
  knnJson?: string;
  /** `selfsup eval linear --json` output (default: the work dir's eval.json / eval_linear.json). */
  linearJson?: string;
  /** Which k of a kNN result to record (default 20 when evaluated, else the smallest k). */
  knnK?: number;
  /** Wall-clock training time. */
  budgetMinutes?: number;
  /** What the run trained on (default: this machine's CPU and the GPUs libtorch sees). */
  machine?: string;
  /** Also copy the full training checkpoint (optimizer state included). */
  withCheckpoint?: boolean;
  /** Store the backbone's floating tensors as fp16 (half the bytes; the card says so). */
  fp16?: boolean;
}

/** This machine in words: CPU model × count, and the GPUs libtorch sees. */
export function describeMachine(): string {
  const cpu = cpus();
  const parts = [`${cpu.length}× ${cpu[0]?.model.trim() || 'CPU'}`];
  const gpus = torch.cuda.info().devices;
  if (gpus.length) parts.push(`${gpus.length}× ${gpus[0].name ?? 'GPU'}`);
  return parts.join(', ');
}

/** A number of an eval result: itself, or the mean of a repeated run's `{ mean, std, runs }`. */
function metric(v: unknown, where: string): number {
  const n = isMeanStd(v) ? v.mean : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new ZooError(`${where}: expected a number, got ${JSON.stringify(v)}`);
  return n;
}

/** The `ssl` encoder's results of an eval JSON (`selfsup eval … --json` results, or their `results`). */
function sslResults(results: unknown, where: string): Record<string, unknown> {
  const ssl = (results as { ssl?: unknown } | null)?.ssl;
  if (ssl === null || typeof ssl !== 'object') throw new ZooError(`${where}: no results.ssl (not 'selfsup eval --json' output?)`);
  return ssl as Record<string, unknown>;
}

/** `{ k, top1, top5 }` of a kNN result `{ ssl: { knn: { <k>: { top1, top5 } } } }`. */
export function knnSummary(results: unknown, where: string, k?: number): ZooEntry['knn'] {
  const byK = sslResults(results, where).knn as Record<string, Record<string, unknown>> | undefined;
  if (!byK || typeof byK !== 'object') throw new ZooError(`${where}: no results.ssl.knn`);
  const ks = Object.keys(byK)
    .map(Number)
    .sort((a, b) => a - b);
  const pick = k ?? (ks.includes(20) ? 20 : ks[0]);
  const r = byK[String(pick)];
  if (!r) throw new ZooError(`${where}: no kNN result for k = ${pick} (it has k = ${ks.join(', ')})`);
  const out: NonNullable<ZooEntry['knn']> = { k: pick, top1: metric(r.top1, `${where}: knn.${pick}.top1`) };
  if (r.top5 !== undefined) out.top5 = metric(r.top5, `${where}: knn.${pick}.top5`);
  return out;
}

/** `{ top1, top5 }` of a linear-probe result `{ ssl: { linear: { top1, top5 } } }`. */
export function linearSummary(results: unknown, where: string): ZooEntry['linear'] {
  const ssl = sslResults(results, where);
  const r = (ssl.linear ?? ssl) as Record<string, unknown>;
  if (r.top1 === undefined) throw new ZooError(`${where}: no results.ssl.linear.top1`);
  const out: NonNullable<ZooEntry['linear']> = { top1: metric(r.top1, `${where}: linear.top1`) };
  if (r.top5 !== undefined) out.top5 = metric(r.top5, `${where}: linear.top5`);
  return out;
}

/** The results of an eval JSON file, checking that it is the expected task. */
function evalFile(path: string, task: 'knn' | 'linear', flag: string): unknown {
  if (!existsSync(path)) throw new ZooError(`${flag} ${path}: no such file`);
  let r: { task?: string; results?: unknown };
  try {
    r = readEvalJson(path);
  } catch (e) {
    throw new ZooError(`${flag} ${path}: not the JSON of 'selfsup eval ${task} --json' (${(e as Error).message})`);
  }
  if (r.task !== task) throw new ZooError(`${flag} ${path}: a '${r.task}' result, expected '${task}'`);
  return r.results;
}

function fileRecord(zoo: string, path: string): ZooFile {
  const rel = relative(zoo, path).split(sep).join('/');
  return { path: rel, sha256: sha256File(path), bytes: statSync(path).size };
}

/** Adds (or replaces) entry `o.name` in the zoo directory `o.zoo` from the work dir `workDir`; returns the entry. */
export async function zooAdd(workDir: string, o: ZooAddOptions): Promise<ZooEntry> {
  if (!/^[\w.+-]+$/.test(o.name)) throw new ZooError(`--name '${o.name}': expected letters, digits, '_', '-', '.', '+'`);
  const work = resolve(workDir);
  if (!existsSync(work) || !statSync(work).isDirectory())
    throw new ZooError(`${workDir}: not a directory (expected a selfsup train work dir)`);
  const configJson = join(work, 'config.json');
  if (!existsSync(configJson)) throw new ZooError(`${work}: no config.json (not a selfsup train work dir)`);
  const zoo = resolve(o.zoo);
  // Read the manifest first: a malformed one stops here, before anything is written.
  const manifest = await readManifest({ kind: 'dir', dir: zoo }, { missingIsEmpty: true });
  const inWork = evaluationNumbers(work);
  const knnResults = o.knnJson !== undefined ? evalFile(o.knnJson, 'knn', '--knn-json') : inWork.knn;
  const linearResults = o.linearJson !== undefined ? evalFile(o.linearJson, 'linear', '--linear-json') : inWork.linear;
  const knn = knnResults ? knnSummary(knnResults, o.knnJson ?? join(work, 'eval*.json'), o.knnK) : null;
  if (o.knnK !== undefined && !knn) throw new ZooError(`--knn-k ${o.knnK}: there is no kNN result (give --knn-json)`);
  const linear = linearResults ? linearSummary(linearResults, o.linearJson ?? join(work, 'eval*.json')) : null;

  const dir = join(zoo, o.name);
  mkdirSync(dir, { recursive: true });
  const exported = exportBackbone(work, { outDir: dir, name: o.name, format: 'pth', fp16: o.fp16 });
  const card = JSON.parse(readFileSync(exported.card, 'utf8')) as {
    algorithm: string;
    backbone: string | null;
    config: string | null;
    data: { type: unknown };
    epochs: number;
    iters: number;
    checkpoint: string;
  };
  copyFileSync(configJson, join(dir, 'config.json'));
  const files: ZooEntry['files'] = {
    backbone: fileRecord(zoo, exported.files[0].path),
    config: fileRecord(zoo, join(dir, 'config.json')),
    card: fileRecord(zoo, exported.card),
  };
  if (existsSync(join(work, 'log.jsonl'))) {
    copyFileSync(join(work, 'log.jsonl'), join(dir, 'log.jsonl'));
    files.log = fileRecord(zoo, join(dir, 'log.jsonl'));
  }
  if (o.withCheckpoint) {
    const ck = join(dir, basename(card.checkpoint));
    copyFileSync(card.checkpoint, ck);
    files.checkpoint = fileRecord(zoo, ck);
  }
  const entry = checkEntry(
    {
      name: o.name,
      algorithm: card.algorithm,
      backbone: card.backbone ?? 'unknown',
      config: card.config ?? basename(work),
      dataset: typeof card.data.type === 'string' ? card.data.type : 'unknown',
      budget: {
        iters: card.iters,
        epochs: card.epochs,
        ...(o.budgetMinutes !== undefined ? { minutes: o.budgetMinutes } : {}),
        machine: o.machine ?? describeMachine(),
      },
      knn,
      linear,
      files,
      created: new Date().toISOString(),
      selfsupVersion: SELFSUP_VERSION,
    },
    `${join(zoo, ZOO_MANIFEST)} (new entry '${o.name}')`,
  );
  const previous = manifest.entries.find((e) => e.name === o.name);
  const next = withEntry(manifest, entry);
  writeManifest(zoo, next);
  // Files of the replaced entry that no entry names any more (an older backbone-<sha>.pth, a checkpoint).
  if (previous) {
    const kept = new Set(next.entries.flatMap((e) => entryFiles(e).map(([, f]) => f.path)));
    for (const [, f] of entryFiles(previous)) if (!kept.has(f.path)) rmSync(join(zoo, ...f.path.split('/')), { force: true });
  }
  return entry;
}
