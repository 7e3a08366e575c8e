/**
 * MMSelfSup's list format: an annotation file with one `relative/path [label]` per line, paths
 * relative to `dataPrefix`. Lines without a label make an unlabeled dataset.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { FileDataset } from './file-dataset.js';

export class ImageList extends FileDataset {
  readonly classes: string[] | undefined = undefined;

  private constructor(
    readonly annFile: string,
    files: string[],
    labels: number[] | null,
    channels: 1 | 3,
  ) {
    super(files, labels, channels);
  }

  static async open(annFile: string, o: { dataPrefix?: string; channels?: 1 | 3 } = {}): Promise<ImageList> {
    return ImageList.openSync(annFile, o);
  }

  /** `open` without a promise, for config builders (the registry builds synchronously). */
  static openSync(annFile: string, o: { dataPrefix?: string; channels?: 1 | 3 } = {}): ImageList {
    let text: string;
    try {
      text = readFileSync(annFile, 'utf8');
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

  describe(): string {
    return `ImageList(${this.annFile}, ${this.length} images${this.labels ? ', labelled' : ', unlabeled'})`;
  }
}
