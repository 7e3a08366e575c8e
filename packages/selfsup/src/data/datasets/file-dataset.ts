/**
 * What datasets of image files share (ImageFolder, ImageList): a fixed file list with optional
 * labels, decoding on access, and a fingerprint of the files for the decoded cache.
 */
import { stat } from 'node:fs/promises';
import { decodeImage } from '../decode.js';
import type { Sample } from '../image.js';
import { checkIndex, type Dataset } from './base.js';

export abstract class FileDataset implements Dataset {
  abstract readonly classes: string[] | undefined;

  protected constructor(
    readonly files: string[],
    readonly labels: number[] | null,
    protected readonly channels: 1 | 3,
  ) {}

  abstract describe(): string;

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
}
