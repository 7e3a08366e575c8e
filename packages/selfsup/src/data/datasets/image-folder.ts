/**
 * Image files in folders. With class sub-folders (`root/<class>/…/<image>`) it is torchvision's
 * ImageFolder: classes sorted by name, files sorted, labels by class index. A folder of images
 * without class sub-folders is an unlabeled dataset (the common case for self-supervised
 * pre-training): every image under it, recursively, no labels.
 */
import { type Dirent, readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { FileDataset } from './file-dataset.js';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp', '.gif', '.avif'];

export interface ImageFolderOptions {
  /**
   * `'auto'` (default): class sub-folders if there are some and no images beside them, else
   * unlabeled; `'folders'` requires them (images beside them are ignored, as torchvision does);
   * `'none'` ignores them.
   */
  labels?: 'auto' | 'folders' | 'none';
  extensions?: string[];
  channels?: 1 | 3;
}

/**
 * Image files under `dir` in torchvision's order: `sorted(os.walk(dir))` (folders by full path),
 * then sorted file names within each folder. Symlinked folders are followed.
 */
function walk(dir: string, exts: Set<string>, out: string[]): void {
  const folders: [string, string[]][] = [];
  const visit = (d: string): void => {
    const entries = readdirSync(d, { withFileTypes: true });
    const files: string[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = statOrNull(p);
        isDir = !!st?.isDirectory();
        isFile = !!st?.isFile();
      }
      if (isDir) visit(p);
      else if (isFile && exts.has(extname(e.name).toLowerCase())) files.push(e.name);
    }
    folders.push([d, files.sort(byCodeUnit)]);
  };
  visit(dir);
  folders.sort((a, b) => byCodeUnit(a[0], b[0]));
  for (const [d, files] of folders) for (const f of files) out.push(join(d, f));
}

function statOrNull(p: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class ImageFolder extends FileDataset {
  private constructor(
    readonly root: string,
    files: string[],
    labels: number[] | null,
    readonly classes: string[] | undefined,
    channels: 1 | 3,
  ) {
    super(files, labels, channels);
  }

  /** Scans `root` once; the listing is fixed from then on. */
  static async open(root: string, o: ImageFolderOptions = {}): Promise<ImageFolder> {
    return ImageFolder.openSync(root, o);
  }

  /** `open` without a promise, for config builders (the registry builds synchronously). */
  static openSync(root: string, o: ImageFolderOptions = {}): ImageFolder {
    const exts = new Set((o.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase()));
    let entries: Dirent[];
    try {
      entries = readdirSync(root, { withFileTypes: true });
    } catch (e) {
      throw new Error(`ImageFolder: cannot read ${root} (${(e as Error).message})`);
    }
    const classDirs = entries
      .filter((e) => !e.name.startsWith('.') && e.isDirectory())
      .map((e) => e.name)
      .sort();
    const mode = o.labels ?? 'auto';
    if (mode === 'folders' && classDirs.length === 0) throw new Error(`ImageFolder: ${root} has no class sub-folders`);
    // Images right in the root cannot belong to a class folder: then `auto` reads an unlabeled tree.
    const looseImages = entries.some((e) => !e.name.startsWith('.') && e.isFile() && exts.has(extname(e.name).toLowerCase()));
    if (mode === 'folders' || (mode === 'auto' && classDirs.length > 0 && !looseImages)) {
      const files: string[] = [];
      const labels: number[] = [];
      const empty: string[] = [];
      for (const [i, c] of classDirs.entries()) {
        const found: string[] = [];
        walk(join(root, c), exts, found);
        if (found.length === 0) empty.push(c);
        for (const f of found) {
          files.push(f);
          labels.push(i);
        }
      }
      if (empty.length) {
        throw new Error(`ImageFolder: no image files (${[...exts].join(', ')}) for classes ${empty.join(', ')} in ${root}`);
      }
      return new ImageFolder(root, files, labels, classDirs, o.channels ?? 3);
    }
    const files: string[] = [];
    walk(root, exts, files);
    if (files.length === 0) throw new Error(`ImageFolder: no image files (${[...exts].join(', ')}) under ${root}`);
    return new ImageFolder(root, files, null, undefined, o.channels ?? 3);
  }

  /** The file of sample `idx`, relative to the root. */
  relativePath(idx: number): string {
    return relative(this.root, this.files[idx]);
  }

  describe(): string {
    return `ImageFolder(${this.root}, ${this.length} images${this.classes ? `, ${this.classes.length} classes` : ', unlabeled'})`;
  }
}
