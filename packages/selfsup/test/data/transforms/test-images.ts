/**
 * Seeded `(C, H, W)` uint8 test images shared by the transform tests: noise over a hard-edged block,
 * so smooth areas and edges (what stresses a resampler or a blur) both occur.
 */
export function edgeImage(c: number, h: number, w: number, seed: number): Uint8Array {
  const data = new Uint8Array(c * h * w);
  let x = seed;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const p = i % (h * w);
    const edge = (p % w) * 3 > w && Math.floor(p / w) * 2 < h ? 180 : 20;
    data[i] = (edge + (x >>> 24) / 4) & 255;
  }
  return data;
}
