/**
 * Mask generators for masked image modelling. Masks are `(H', W')` grids of 0/1 over patches
 * (1 = masked), drawn from the sample's `Rng`.
 */
import type { Rng } from './rng.js';

export interface PatchMask {
  height: number;
  width: number;
  /** Row-major, 1 = masked. */
  data: Uint8Array;
}

/**
 * BEiT's block-wise masking (Bao et al. 2022): rectangles of random area (≥ `minNumPatches`) and
 * aspect ratio (log-uniform in [minAspect, 1/minAspect]) are added until `numMaskingPatches`
 * patches are masked (each block adds only new patches and never overshoots the target).
 */
export class BEiTMaskGenerator {
  readonly height: number;
  readonly width: number;
  readonly maxNumPatches: number;
  readonly logAspect: [number, number];

  constructor(
    inputSize: number | [number, number],
    readonly numMaskingPatches: number,
    readonly o: { minNumPatches?: number; maxNumPatches?: number; minAspect?: number; maxAspect?: number } = {},
  ) {
    [this.height, this.width] = typeof inputSize === 'number' ? [inputSize, inputSize] : inputSize;
    if (numMaskingPatches > this.height * this.width)
      throw new RangeError(`BEiTMaskGenerator: ${numMaskingPatches} patches exceed the ${this.height}×${this.width} grid`);
    this.maxNumPatches = o.maxNumPatches ?? numMaskingPatches;
    const minAspect = o.minAspect ?? 0.3;
    const maxAspect = o.maxAspect ?? 1 / minAspect;
    this.logAspect = [Math.log(minAspect), Math.log(maxAspect)];
  }

  private addBlock(mask: Uint8Array, maxMaskPatches: number, rng: Rng): number {
    const minPatches = this.o.minNumPatches ?? 4;
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = rng.uniform(minPatches, maxMaskPatches);
      const aspect = Math.exp(rng.uniform(this.logAspect[0], this.logAspect[1]));
      const h = Math.round(Math.sqrt(target * aspect));
      const w = Math.round(Math.sqrt(target / aspect));
      if (w < this.width && h < this.height) {
        const top = rng.randint(0, this.height - h + 1);
        const left = rng.randint(0, this.width - w + 1);
        let masked = 0;
        for (let i = top; i < top + h; i++) for (let j = left; j < left + w; j++) masked += mask[i * this.width + j];
        const delta = h * w - masked;
        if (delta > 0 && delta <= maxMaskPatches) {
          for (let i = top; i < top + h; i++) for (let j = left; j < left + w; j++) mask[i * this.width + j] = 1;
          return delta;
        }
      }
    }
    return 0;
  }

  generate(rng: Rng): PatchMask {
    const mask = new Uint8Array(this.height * this.width);
    let count = 0;
    while (count < this.numMaskingPatches) {
      const maxMask = Math.min(this.numMaskingPatches - count, this.maxNumPatches);
      const delta = this.addBlock(mask, maxMask, rng);
      if (delta === 0) break;
      count += delta;
    }
    return { height: this.height, width: this.width, data: mask };
  }
}

/**
 * SimMIM's random masking (Xie et al. 2022): ⌈ratio · blocks⌉ of the `maskPatchSize` blocks are
 * masked, then each block is spread over the `(maskPatchSize / modelPatchSize)²` model patches.
 */
export class SimMIMMaskGenerator {
  readonly randSize: number;
  readonly scale: number;
  readonly maskCount: number;

  constructor(readonly o: { inputSize?: number; maskPatchSize?: number; modelPatchSize?: number; maskRatio?: number } = {}) {
    const input = o.inputSize ?? 192;
    const mp = o.maskPatchSize ?? 32;
    const model = o.modelPatchSize ?? 4;
    if (input % mp !== 0 || mp % model !== 0)
      throw new RangeError('SimMIMMaskGenerator: inputSize must be a multiple of maskPatchSize, and that of modelPatchSize');
    this.randSize = input / mp;
    this.scale = mp / model;
    this.maskCount = Math.ceil(this.randSize * this.randSize * (o.maskRatio ?? 0.6));
  }

  generate(rng: Rng): PatchMask {
    const blocks = rng.permutation(this.randSize * this.randSize).slice(0, this.maskCount);
    const side = this.randSize * this.scale;
    const data = new Uint8Array(side * side);
    for (const b of blocks) {
      const bi = Math.floor(b / this.randSize);
      const bj = b % this.randSize;
      for (let i = 0; i < this.scale; i++)
        for (let j = 0; j < this.scale; j++) data[(bi * this.scale + i) * side + bj * this.scale + j] = 1;
    }
    return { height: side, width: side, data };
  }
}
