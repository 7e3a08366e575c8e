/**
 * MMEngine's `auto_scale_lr` (`Runner.scale_lr`), the linear scaling rule of Goyal et al.,
 * "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour" (2017): a recipe written for a
 * total batch of `baseBatchSize` images trains with every parameter group's lr multiplied by
 * (world size × per-process batch) / baseBatchSize. As in MMEngine it runs after the optimizer is
 * built (so paramwise multipliers are already in the groups) and before the param schedulers
 * are, which record each group's initial lr; absolute values such as a scheduler's `etaMin` are
 * not scaled.
 */
import type { optim } from '@selfsup/torch';
import { bool, posInt, z } from '../core/schema.js';

export const autoScaleLrSchema = z.strictObject({
  /** Off unless true (MMSelfSup's configs carry the base batch size; `--auto-scale-lr` turns it on). */
  enable: bool().optional(),
  /** The total batch size the config's lr was written for. */
  baseBatchSize: posInt(),
});
export type AutoScaleLr = z.infer<typeof autoScaleLrSchema>;

/**
 * Scales every group's lr (and the optimizer's default lr, for groups added later) by
 * `realBatchSize / baseBatchSize` when `cfg.enable`; returns the ratio, or null when off.
 */
export function scaleLr(wrapper: optim.OptimWrapper, cfg: AutoScaleLr | undefined, realBatchSize: number): number | null {
  if (!cfg?.enable) return null;
  if (!Number.isInteger(realBatchSize) || realBatchSize < 1)
    throw new RangeError(`autoScaleLr: the real batch size must be a positive integer, got ${realBatchSize}`);
  const ratio = realBatchSize / cfg.baseBatchSize;
  wrapper.paramGroups.forEach((_, i) => {
    wrapper.setHyper(i, 'lr', wrapper.getHyper(i, 'lr') * ratio);
  });
  const defaults = wrapper.optimizer.defaults as { lr?: unknown };
  if (typeof defaults.lr === 'number') defaults.lr *= ratio;
  return ratio;
}
