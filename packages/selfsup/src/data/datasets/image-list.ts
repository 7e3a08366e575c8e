/**
 * MMSelfSup's list format: an annotation file with one `relative/path [label]` per line, paths
 * relative to `dataPrefix`. Lines without a label make an unlabeled dataset.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { decodeImage } from '../decode.js';
import type { Sample } from '../image.js';
import { checkIndex, type Dataset } from './base.js';

export class ImageList implements Dataset {
  readonly classes: string[] | undefined = undefined;

  private constructor(
    readonly annFile: string,
    readonly files: string[],
    readonly labels: number[] | null,
    private readonly channels: 1 | 3,
  ) {}

  static async open(annFile: string, o: { dataPrefix?: string; channels?: 1 | 3 } = {}): Promise<ImageList> {
    let text: string;
    try {
      text = await readFile(annFile, 'utf8');
    } catch (e) {
      throw new Error(`ImageList: cannot read ${annFile} (${(e as Error).message})`);
    }
    const files: string[] = [];
    const labels: number[] = [];
    let labelled: boolean | null = null;
    for (const [n, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const m = /^(.*?)(?:\s+(-?\d+))?$/.exec(line) as RegExpExecArray;
      const path = m[1];
      const has = m[2] !== undefined;
      if (labelled === null) labelled = has;
      else if (labelled !== has) throw new Error(`ImageList: ${annFile}:${n + 1}: some lines have a label and some do not`);
      files.push(o.dataPrefix && !isAbsolute(path) ? join(o.dataPrefix, path) : path);
      if (has) {
        const label = Number(m[2]);
        if (label < 0) throw new Error(`ImageList: ${annFile}:${n + 1}: negative label ${label}`);
        labels.push(label);
      }
    }
    if (files.length === 0) throw new Error(`ImageList: ${annFile} lists no images`);
    return new ImageList(annFile, files, labelled ? labels : null, o.channels ?? 3);
  }

  get length(): number {
    return this.files.length;
  }

  async get(idx: number): Promise<Sample> {
    checkIndex(this, idx);
    const img = await decodeImage(this.files[idx], { channels: this.channels });
    return this.labels ? { img, label: this.labels[idx], idx } : { img, idx };
  }

  /** What the decoded cache keys on: every file's path, size and modification time. */
  async fingerprint(): Promise<string> {
    const parts = await Promise.all(
      this.files.map(async (f) => {
        const st = await stat(f).catch(() => null);
        return st ? `${f}|${st.size}|${st.mtimeMs}` : `${f}|missing`;
      }),
    );
    return `${this.channels}\n${parts.join('\n')}`;
  }

  describe(): string {
    return `ImageList(${this.annFile}, ${this.length} images${this.labels ? ', labelled' : ', unlabeled'})`;
  }
}
