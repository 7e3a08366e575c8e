/**
 * Images inside a `.tar` / `.tar.gz` archive, used without extracting it. Members are ordered as
 * ImageFolder orders files (folders by path, then names). Like ImageFolder, class folders give
 * labels: after the folders every member shares (`cifar10/train/`), a first-level folder is the
 * class; members that all sit directly in one folder make an unlabeled dataset.
 */
import { extname } from 'node:path';
import { decodeImage } from '../decode.js';
import type { Sample } from '../image.js';
import { type TarMember, TarArchive } from './archive.js';
import { checkIndex, type Dataset } from './base.js';
import { IMAGE_EXTENSIONS } from './image-folder.js';

export interface ImageArchiveOptions {
  /** `'auto'` (default): class folders if every image sits in one, else unlabeled; `'none'` ignores them. */
  labels?: 'auto' | 'none';
  extensions?: string[];
  channels?: 1 | 3;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class ImageArchive implements Dataset {
  private constructor(
    private readonly tar: TarArchive,
    readonly members: TarMember[],
    readonly labels: Int32Array | null,
    readonly classes: string[] | undefined,
    private readonly channels: 1 | 3,
  ) {}

  get path(): string {
    return this.tar.path;
  }

  get length(): number {
    return this.members.length;
  }

  static open(path: string, o: ImageArchiveOptions = {}): ImageArchive {
    const exts = new Set((o.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase()));
    const tar = TarArchive.open(path);
    const split = (m: TarMember) => {
      const k = m.name.lastIndexOf('/');
      return [m.name.slice(0, k + 1), m.name.slice(k + 1)];
    };
    const members = tar.members
      .filter((m) => {
        const base = m.name.slice(m.name.lastIndexOf('/') + 1);
        return !m.name.split('/').some((p) => p.startsWith('.')) && exts.has(extname(base).toLowerCase());
      })
      .sort((a, b) => {
        const [da, fa] = split(a);
        const [db, fb] = split(b);
        return byCodeUnit(da, db) || byCodeUnit(fa, fb);
      });
    if (members.length === 0) {
      tar.close();
      throw new Error(`ImageArchive: no image files (${[...exts].join(', ')}) in ${path}`);
    }
    const parts = members.map((m) => m.name.split('/'));
    let common = 0;
    while (parts.every((p) => p.length > common + 1 && p[common] === parts[0][common])) common++;
    const labelled = (o.labels ?? 'auto') === 'auto' && parts.every((p) => p.length > common + 1);
    if (!labelled) return new ImageArchive(tar, members, null, undefined, o.channels ?? 3);
    const classes = [...new Set(parts.map((p) => p[common]))].sort(byCodeUnit);
    const index = new Map(classes.map((c, i) => [c, i]));
    // Class order first (ImageFolder's), the folder/name order within each class.
    const order = members
      .map((_, i) => i)
      .sort((a, b) => (index.get(parts[a][common]) as number) - (index.get(parts[b][common]) as number) || a - b);
    return new ImageArchive(
      tar,
      order.map((i) => members[i]),
      Int32Array.from(order, (i) => index.get(parts[i][common]) as number),
      classes,
      o.channels ?? 3,
    );
  }

  /** The member of sample `idx`. */
  memberName(idx: number): string {
    return this.members[idx].name;
  }

  async get(idx: number): Promise<Sample> {
    checkIndex(this, idx);
    const m = this.members[idx];
    const img = await decodeImage(await this.tar.readAsync(m), { channels: this.channels }, `${this.tar.path}:${m.name}`);
    return this.labels ? { img, label: this.labels[idx], idx } : { img, idx };
  }

  close(): void {
    this.tar.close();
  }

  describe(): string {
    return `ImageArchive(${this.tar.path}, ${this.length} images${this.classes ? `, ${this.classes.length} classes` : ', unlabeled'})`;
  }
}
