/**
 * Absolute position embeddings for patch tokens: the fixed 2-D sine-cosine table of MAE
 * (He et al. 2021, `get_2d_sincos_pos_embed`) and resizing a learned or fixed table to another
 * patch grid (bicubic, as timm's `resample_abs_pos_embed` and mmcls's `resize_pos_embed`).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

const { F } = torch;

/**
 * The `(1, prefix + H·W, D)` fixed sine-cosine embedding of an `H × W` patch grid, as MAE's numpy
 * `get_2d_sincos_pos_embed`: the first D/2 channels encode the column (x) position, the last D/2
 * the row (y) position, each as `[sin(p·ω), cos(p·ω)]` with ω_i = 1 / temperature^(i / (D/4)).
 * `numPrefixTokens` zero rows go first (MAE's `cls_token=True` is 1). Token k is row k / W, column k % W.
 */
export function sincos2dPosEmbed(
  embedDim: number,
  grid: number | [number, number],
  o: { numPrefixTokens?: number; temperature?: number } = {},
): Tensor {
  if (embedDim % 4 !== 0) throw new RangeError(`sincos2dPosEmbed: embed dim ${embedDim} must be divisible by 4`);
  const [gh, gw] = typeof grid === 'number' ? [grid, grid] : grid;
  const prefix = o.numPrefixTokens ?? 0;
  const temperature = o.temperature ?? 10000;
  const quarter = embedDim / 4;
  const omega = Array.from({ length: quarter }, (_, i) => 1 / temperature ** (i / quarter));
  const out = new Float32Array((prefix + gh * gw) * embedDim);
  for (let r = 0; r < gh; r++) {
    for (let c = 0; c < gw; c++) {
      const base = (prefix + r * gw + c) * embedDim;
      for (let i = 0; i < quarter; i++) {
        out[base + i] = Math.sin(c * omega[i]);
        out[base + quarter + i] = Math.cos(c * omega[i]);
        out[base + 2 * quarter + i] = Math.sin(r * omega[i]);
        out[base + 3 * quarter + i] = Math.cos(r * omega[i]);
      }
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
