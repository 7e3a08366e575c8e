/** Reads the members of a `.tar` / `.tar.gz` archive into memory (small datasets: CIFAR, STL-10). */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';

/** Member name → bytes, for members whose name passes `want`. */
export async function readTar(path: string, want: (name: string) => boolean): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    if (header.type !== 'file' || !want(header.name)) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  const gz = /\.(tgz|gz)$/.test(path);
  try {
    if (gz) await pipeline(createReadStream(path), createGunzip(), extract);
    else await pipeline(createReadStream(path), extract);
  } catch (e) {
    throw new Error(`${path}: cannot read archive (${(e as Error).message})`);
  }
  return out;
}
