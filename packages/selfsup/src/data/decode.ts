/**
 * Image decoding with sharp (libvips): JPEG, PNG, WebP, TIFF, GIF, AVIF (plain JPEGs straight with
 * libjpeg-turbo in the pixel addon, the library libvips and PIL decode them with: the same pixels
 * without a libvips pipeline's ~1 ms per call; CMYK and YCCK JPEGs there too, converted to RGB
 * exactly as PIL converts them, Adobe-inverted ink and ICC profile ignored, where libvips' colour
 * management would differ from PIL by up to ~60 levels). EXIF orientation is
 * applied; grayscale, alpha, CMYK, palette and 16-bit inputs become 8-bit RGB (alpha dropped, as
 * PIL's `convert('RGB')`), or 1-channel when asked. Corrupt, truncated, empty and non-image files
 * raise a `DecodeError` naming the file; decoding has a time limit so a hostile file cannot hang.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { type Image, makeImage } from './image.js';
import { pixelKernels } from './pixels-native.js';

export class DecodeError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: cannot decode image (${reason})`);
    this.name = 'DecodeError';
  }
}

export interface DecodeOptions {
  /** 3 (RGB, default) or 1 (grayscale). */
  channels?: 1 | 3;
  /** Seconds libvips may spend on one image. */
  timeoutSeconds?: number;
}

// Decoding runs on libuv's thread pool; keep libvips' own threads from oversubscribing the cores.
sharp.concurrency(1);
sharp.cache(false);

/** Decodes encoded bytes (or reads and decodes a file) to an 8-bit `(H, W, C)` image. */
export async function decodeImage(
  src: string | Uint8Array,
  opts: DecodeOptions = {},
  name = typeof src === 'string' ? src : '<buffer>',
): Promise<Image> {
  let bytes: Uint8Array;
  try {
    // A synchronous read costs ~25 µs for a small image file; a thread-pool read ~150 µs of CPU.
    bytes = typeof src === 'string' ? readFileSync(src) : src;
  } catch (e) {
    throw new DecodeError(name, (e as Error).message);
  }
  if (bytes.length === 0) throw new DecodeError(name, 'empty file');
  const channels = opts.channels ?? 3;
  const jpeg = pixelKernels().decodeJpeg(bytes, channels);
  if (jpeg) return makeImage(jpeg.data, jpeg.width, jpeg.height, channels);
  try {
    let p = sharp(bytes, { failOn: 'error', limitInputPixels: 1 << 28, sequentialRead: true })
      .timeout({ seconds: opts.timeoutSeconds ?? 30 })
      .rotate();
    p = channels === 1 ? p.toColourspace('b-w') : p.toColourspace('srgb');
    const { data, info } = await p.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`decoder produced ${info.channels} channels, expected ${channels}`);
    return makeImage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, channels);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(name, (e as Error).message.replace(/\s+/g, ' ').trim());
  }
}
