/**
 * STL-10 binary (`stl10_binary/`): `train`, `test` (5,000 / 8,000 labelled) and `unlabeled`
 * (100,000) splits of 96×96 RGB images, stored channel-planar and column-major. Images are read
 * from the file on demand (the unlabeled split is 2.7 GB).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeImage, type Sample } from '../image.js';
import { checkIndex, type Dataset } from './base.js';

const SIDE = 96;
const ITEM = 3 * SIDE * SIDE;

export class STL10 implements Dataset {
  readonly length: number;
  private fd: number | null = null;

  private constructor(
    readonly file: string,
    readonly labels: Int32Array | null,
    readonly classes: string[] | undefined,
  ) {
    const size = statSync(file).size;
    if (size % ITEM !== 0) throw new Error(`STL10: ${file} is not a whole number of 96×96×3 images (truncated?)`);
    this.length = size / ITEM;
    if (labels && labels.length !== this.length)
      throw new Error(`STL10: ${file} holds ${this.length} images but the labels file ${labels.length}`);
  }

  static open(root: string, split: 'train' | 'test' | 'unlabeled'): STL10 {
    const dir = existsSync(join(root, 'stl10_binary')) ? join(root, 'stl10_binary') : root;
    const x = join(dir, `${split}_X.bin`);
    if (!existsSync(x)) throw new Error(`STL10: ${x} is missing`);
    const namesFile = join(dir, 'class_names.txt');
    const classes = existsSync(namesFile)
      ? readFileSync(namesFile, 'utf8')
          .split(/\r?\n/)
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
    if (split === 'unlabeled') return new STL10(x, null, undefined);
    const yPath = join(dir, `${split}_y.bin`);
    if (!existsSync(yPath)) throw new Error(`STL10: ${yPath} is missing`);
    // Labels are stored 1..10.
    const labels = Int32Array.from(readFileSync(yPath), (v) => v - 1);
    for (const l of labels) if (l < 0 || l >= 10) throw new Error(`STL10: ${yPath} has a label outside 1..10`);
    return new STL10(x, labels, classes);
  }

  async get(idx: number): Promise<Sample> {
    checkIndex(this, idx);
    this.fd ??= openSync(this.file, 'r');
    const raw = Buffer.allocUnsafe(ITEM);
    const n = readSync(this.fd, raw, 0, ITEM, idx * ITEM);
    if (n !== ITEM) throw new Error(`STL10: short read of image ${idx} from ${this.file}`);
    const data = new Uint8Array(ITEM);
    // Planar and column-major on disk: value (c, x, y) at c·96² + x·96 + y, with x the column.
    for (let c = 0; c < 3; c++) {
      for (let x = 0; x < SIDE; x++) {
        for (let y = 0; y < SIDE; y++) data[(y * SIDE + x) * 3 + c] = raw[c * SIDE * SIDE + x * SIDE + y];
      }
    }
    const img = makeImage(data, SIDE, SIDE, 3);
    return this.labels ? { img, label: this.labels[idx], idx } : { img, idx };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  describe(): string {
    return `STL10(${this.file}, ${this.length} images${this.labels ? ', labelled' : ', unlabeled'})`;
  }
}
