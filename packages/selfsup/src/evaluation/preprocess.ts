/**
 * What every benchmark does to a backbone's output (the images' normalisation is core/images.ts):
 * pooling of a stage output into one `(N, D)` vector per image —
 * global average pooling of CNN maps (Lin et al. 2014, "Network In Network"; the GAP features of
 * the linear/kNN protocols, Goyal et al. 2019), the class token or mean patch token of ViT tokens
 * (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words"; MAE's `global_pool`, He et al. 2022).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

/**
 * How a stage output becomes one vector per image:
 * - `avg`: mean over the spatial positions of `(N, C, h, w)`, or over the patch tokens (prefix
 *   tokens excluded) of `(N, L, C)`;
 * - `cls`: the first (class) token of `(N, L, C)`;
 * - `flatten`: every value, `(N, C·h·w)` or `(N, L·C)`.
 * `(N, D)` outputs (a ViT with `outType: 'clsToken'`) are already vectors and pass through.
 */
export type PoolMode = 'avg' | 'cls' | 'flatten';

/**
 * One `(N, D)` vector per image from a stage output: `(N, C, h, w)` maps, `(N, L, C)` tokens whose
 * first `numPrefixTokens` are class/register tokens, or `(N, D)` vectors (returned unchanged).
 * Default pooling: `avg` for maps, `cls` for tokens with a prefix token, else `avg`.
 */
export function poolFeatures(out: Tensor, pool?: PoolMode, numPrefixTokens = 0): Tensor {
  return torch.tidy(() => {
    const d = out.dim();
    if (d === 2) return out;
    if (d === 4) {
      const mode = pool ?? 'avg';
      if (mode === 'avg') return out.mean([2, 3]);
      if (mode === 'flatten') return out.flatten(1);
      throw new RangeError("poolFeatures: 'cls' pooling needs tokens (N, L, C), got a feature map (N, C, h, w)");
    }
    if (d === 3) {
      const mode = pool ?? (numPrefixTokens > 0 ? 'cls' : 'avg');
      if (mode === 'cls') {
        if (numPrefixTokens < 1) throw new RangeError("poolFeatures: 'cls' pooling needs a class token");
        return out.select(1, 0);
      }
      if (mode === 'avg') return out.slice(1, numPrefixTokens).mean(1);
      return out.flatten(1);
    }
    throw new RangeError(`poolFeatures: expected a (N, D), (N, L, C) or (N, C, h, w) output, got shape [${out.shape}]`);
  });
}
