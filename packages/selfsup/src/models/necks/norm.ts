/**
 * The 1-D normalisation layers a projector neck may use (mmcv's `build_norm_layer` for the kinds
 * MMSelfSup's necks name): `BN1d` (plain batch norm) or `SyncBN` (statistics over every process;
 * without a process group it behaves as `BN1d`, so single-device runs need no config change).
 */
import { nn } from '@selfsup/torch';
import { z } from '../../core/schema.js';

/** The norm kinds a neck accepts. */
export type Norm1dType = 'BN1d' | 'SyncBN';

/** MMSelfSup's `norm_cfg` (`{ type: 'SyncBN' }`). */
export interface Norm1dConfig {
  type: Norm1dType;
}

/** Schema of a neck's `normCfg`. */
export const norm1dSchema = () => z.strictObject({ type: z.enum(['BN1d', 'SyncBN'], { error: "expected 'BN1d' or 'SyncBN'" }) });

/**
 * A batch norm over `(N, C)` features; `affine: false` drops γ and β (SimSiam's last BN);
 * `momentum` is PyTorch's running-average factor (default 0.1; RelativeLocNeck's 0.003).
 */
export function buildNorm1d(
  cfg: Norm1dConfig,
  channels: number,
  affine = true,
  momentum = 0.1,
): nn.BatchNorm1d | nn.SyncBatchNorm {
  switch (cfg.type) {
    case 'BN1d':
      return new nn.BatchNorm1d(channels, { affine, momentum });
    case 'SyncBN':
      return new nn.SyncBatchNorm(channels, { affine, momentum });
    default:
      throw new TypeError(`unknown norm type '${(cfg as { type: unknown }).type}'; expected 'BN1d' or 'SyncBN'`);
  }
}
