/** Rasterising the SVG charts to PNG (for TensorBoard images and `analyze-logs plot --out x.png`). */
import sharp from 'sharp';

/**
 * Renders an SVG document to PNG with sharp (librsvg). With `width`, the SVG is rendered at the
 * density that gives that many pixels across (vector-sharp, not an upscaled bitmap); the height
 * follows the aspect ratio.
 */
export async function svgToPng(svg: string, opts: { width?: number } = {}): Promise<Buffer> {
  const input = Buffer.from(svg, 'utf8');
  if (opts.width === undefined) return sharp(input).png().toBuffer();
  const meta = await sharp(input).metadata();
  const natural = meta.width ?? opts.width;
  const density = Math.max(1, (72 * opts.width) / natural);
  // librsvg rounds the rendered size; the resize pins the exact requested width.
  return sharp(input, { density }).resize({ width: opts.width }).png().toBuffer();
}
