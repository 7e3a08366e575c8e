/**
 * Writing extracted features for use outside selfsup: safetensors (one file holding `features`
 * `(N, D)` and `labels` `(N)`, readable by Python's safetensors, or by hand), and NumPy's `.npy`
 * format version 1.0 (NEP 1, "A Simple File Format for NumPy Arrays"): the magic `\x93NUMPY`,
 * version bytes 1 0, a little-endian uint16 header length, an ASCII dict
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }` padded with spaces and ended by a
 * newline so the data starts on a 64-byte boundary, then the C-order little-endian data.
 * Files are written atomically (a crash never leaves a half-written file).
 */
import { writeSync } from 'node:fs';
import * as torch from '@selfsup/torch';
import type { DType, Tensor } from '@selfsup/torch';
import type { LabelledFeatures } from './features.js';

const NPY_DESCR: Partial<Record<DType, string>> = {
  float64: '<f8',
  float32: '<f4',
  float16: '<f2',
  int64: '<i8',
  int32: '<i4',
  int16: '<i2',
  int8: '|i1',
  uint8: '|u1',
  bool: '|b1',
};

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** A tensor as the bytes of a `.npy` file (version 1.0). */
export function encodeNpy(t: Tensor): Buffer {
  const descr = NPY_DESCR[t.dtype];
  if (!descr) throw new TypeError(`encodeNpy: dtype ${t.dtype} has no NumPy equivalent`);
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += `${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  if (header.length > 0xffff) throw new RangeError(`encodeNpy: a header of ${header.length} bytes needs format 2.0`);
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = torch.tidy(() => t.cpu().contiguous().toBytes());
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), data]);
}

/** Writes one tensor as a `.npy` file. */
export function saveNpy(path: string, t: Tensor): void {
  const bytes = encodeNpy(t);
  torch.writeFileAtomic(path, (fd) => {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  });
}

/** Where each feature row came from: its sample's path (`samplePath`) and the class names of the labels. */
export interface FeatureSources {
  /** One per row, in row order. */
  paths: string[];
  /** Class names in label order (empty when unlabelled). */
  classes: string[];
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** The `index,path,label,class` table of `selfsup extract`'s `.npy` output: one line per feature row. */
export function featureTableCsv(labels: ArrayLike<number>, sources: FeatureSources): string {
  if (sources.paths.length !== labels.length)
    throw new RangeError(`featureTableCsv: ${sources.paths.length} paths for ${labels.length} rows`);
  const lines = ['index,path,label,class'];
  for (let i = 0; i < labels.length; i++) {
    const label = Number(labels[i]);
    lines.push(`${i},${csvField(sources.paths[i])},${label},${csvField(label >= 0 ? (sources.classes[label] ?? '') : '')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Saves features and labels: a `.safetensors` path gets one file with tensors `features` and
 * `labels` plus string `metadata` (with `sources`, also `paths` and `classes` as JSON arrays); a
 * `.npy` path gets the features there, the labels beside it as `<name>.labels.npy` and, with
 * `sources`, `<name>.csv` (`index,path,label,class`, one line per row). Returns the paths written.
 */
export function saveFeatures(
  path: string,
  data: LabelledFeatures,
  opts: { metadata?: Record<string, string>; sources?: FeatureSources } = {},
): string[] {
  const rows = data.features.shape[0];
  if (opts.sources && opts.sources.paths.length !== rows)
    throw new RangeError(`saveFeatures: ${opts.sources.paths.length} sample paths for ${rows} feature rows`);
  if (path.endsWith('.safetensors')) {
    const metadata = { ...opts.metadata };
    if (opts.sources) {
      metadata.paths = JSON.stringify(opts.sources.paths);
      metadata.classes = JSON.stringify(opts.sources.classes);
    }
    torch.tidy(() => {
      torch.safetensors.saveFile(
        { features: data.features.cpu().contiguous(), labels: data.labels.cpu().contiguous() },
        path,
        metadata,
      );
    });
    return [path];
  }
  if (path.endsWith('.npy')) {
    const stem = path.slice(0, -'.npy'.length);
    const labelsPath = `${stem}.labels.npy`;
    saveNpy(path, data.features);
    saveNpy(labelsPath, data.labels);
    if (!opts.sources) return [path, labelsPath];
    const csvPath = `${stem}.csv`;
    const labels = torch.tidy(() => data.labels.cpu().toTypedArray() as ArrayLike<number | bigint>);
    const csv = Buffer.from(featureTableCsv(Array.from(labels, Number), opts.sources), 'utf8');
    torch.writeFileAtomic(csvPath, (fd) => {
      let done = 0;
      while (done < csv.length) done += writeSync(fd, csv, done, csv.length - done);
    });
    return [path, labelsPath, csvPath];
  }
  throw new RangeError(`saveFeatures: '${path}' must end in .safetensors or .npy`);
}
