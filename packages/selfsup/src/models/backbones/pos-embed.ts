/**
 * Absolute position embeddings for patch tokens: the fixed 2-D sine-cosine table of MAE
 * (He et al. 2021, `get_2d_sincos_pos_embed`) and resizing a learned or fixed table to another
 * patch grid (bicubic, as timm's `resample_abs_pos_embed` and mmcls's `resize_pos_embed`).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

const { F } = torch;

/**
 * Which coordinate each half of a sine-cosine table encodes for token k of an `H × W` grid.
 * 'mae': MAE's numpy `get_2d_sincos_pos_embed` (meshgrid 'xy'): first half the column k % W, second
 * half the row ⌊k / W⌋. 'mocov3': MoCo v3's `build_2d_sincos_position_embedding` (also MMSelfSup's),
 * whose `torch.meshgrid(grid_w, grid_h)` is 'ij'-indexed: first half ⌊k / H⌋, second half k % H —
 * on a square grid the row then the column, i.e. MAE's halves swapped.
 */
export type SincosLayout = 'mae' | 'mocov3';

/**
 * The `(1, prefix + H·W, D)` fixed sine-cosine embedding of an `H × W` patch grid: each half of the
 * channels encodes one grid coordinate p (see `SincosLayout`) as `[sin(p·ω), cos(p·ω)]` with
 * ω_i = 1 / temperature^(i / (D/4)). `numPrefixTokens` zero rows go first (`cls_token=True` is 1).
 * Token k is row ⌊k / W⌋, column k % W of the patch grid.
 */
export function sincos2dPosEmbed(
  embedDim: number,
  grid: number | [number, number],
  o: { numPrefixTokens?: number; temperature?: number; layout?: SincosLayout } = {},
): Tensor {
  if (embedDim % 4 !== 0) throw new RangeError(`sincos2dPosEmbed: embed dim ${embedDim} must be divisible by 4`);
  const [gh, gw] = typeof grid === 'number' ? [grid, grid] : grid;
  const prefix = o.numPrefixTokens ?? 0;
  const temperature = o.temperature ?? 10000;
  const quarter = embedDim / 4;
  const omega = Array.from({ length: quarter }, (_, i) => 1 / temperature ** (i / quarter));
  const out = new Float32Array((prefix + gh * gw) * embedDim);
  const mocov3 = o.layout === 'mocov3';
  for (let k = 0; k < gh * gw; k++) {
    const first = mocov3 ? Math.floor(k / gh) : k % gw;
    const second = mocov3 ? k % gh : Math.floor(k / gw);
    const base = (prefix + k) * embedDim;
    for (let i = 0; i < quarter; i++) {
      out[base + i] = Math.sin(first * omega[i]);
      out[base + quarter + i] = Math.cos(first * omega[i]);
      out[base + 2 * quarter + i] = Math.sin(second * omega[i]);
      out[base + 3 * quarter + i] = Math.cos(second * omega[i]);
    }
  }
  return torch.tensor(out, { shape: [1, prefix + gh * gw, embedDim] });
}

export interface ResizePosEmbedOptions {
  /** Leading tokens (class token, registers) that are copied, not resized. Default 1. */
  numPrefixTokens?: number;
  mode?: 'bicubic' | 'bilinear' | 'nearest';
  /** Anti-aliased down-sampling (timm's default for `resample_abs_pos_embed`); mmcls uses none. */
  antialias?: boolean;
}

/**
 * Resizes a `(1, prefix + Hs·Ws, D)` position embedding to the grid `dst` by 2-D interpolation
 * (`align_corners=False`), keeping the prefix tokens. Returns `posEmbed` itself when the grids match.
 */
export function resizePosEmbed(
  posEmbed: Tensor,
  src: [number, number],
  dst: [number, number],
  o: ResizePosEmbedOptions = {},
): Tensor {
  if (src[0] === dst[0] && src[1] === dst[1]) return posEmbed;
  const prefix = o.numPrefixTokens ?? 1;
  const [, len, dim] = posEmbed.shape;
  if (len !== prefix + src[0] * src[1]) {
    throw new RangeError(`resizePosEmbed: ${len} tokens do not match ${prefix} prefix tokens + a ${src[0]}x${src[1]} grid`);
  }
  return torch.tidy(() => {
    const grid = posEmbed.slice(1, prefix).reshape(1, src[0], src[1], dim).permute(0, 3, 1, 2);
    const mode = o.mode ?? 'bicubic';
    const resized = F.interpolate(grid, {
      size: dst,
      mode,
      ...(mode === 'nearest' ? {} : { alignCorners: false, antialias: o.antialias ?? false }),
    });
    const tokens = resized.flatten(2).transpose(1, 2);
    return prefix > 0 ? torch.cat([posEmbed.slice(1, 0, prefix), tokens], 1) : tokens.contiguous();
  });
}
