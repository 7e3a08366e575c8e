/**
 * Optimizer wrappers from configs (MMEngine's `optim_wrapper`):
 *
 * ```ts
 * optimWrapper: {
 *   optimizer: { type: 'LARS', lr: 4.8, momentum: 0.9, weightDecay: 1e-6 },
 *   paramwiseCfg: { customKeys: { bn: { decayMult: 0, larsExclude: true } } },
 *   clipGrad: { maxNorm: 3 }, accumulativeCounts: 1,
 * }
 * ```
 * Parameters that do not require gradients (EMA targets, frozen stages) are left out.
 */
import { type nn, optim } from '@selfsup/torch';
import { bool, ConfigError, nonNegNum, posInt, posNum, typed, validate, z } from '../core/schema.js';
import { OPTIMIZERS } from './registries.js';
import type { OptimizerConfig } from '../part-configs.js';

/** One custom key's settings: multipliers, plus any group setting copied as is (`larsExclude`, `fixLr`). */
const customKeySchema = z.looseObject({
  lrMult: nonNegNum().optional(),
  decayMult: nonNegNum().optional(),
  /** false freezes the matched parameters. */
  requiresGrad: bool().optional(),
});

/** MMEngine's `paramwise_cfg`, camelCased. */
export const paramwiseSchema = z.strictObject({
  /** Settings for parameters whose name contains the key (`bn`, `bias`, `downsample.1`). */
  customKeys: z.record(z.string(), customKeySchema).optional(),
  biasLrMult: nonNegNum().optional(),
  biasDecayMult: nonNegNum().optional(),
  normDecayMult: nonNegNum().optional(),
  dwconvDecayMult: nonNegNum().optional(),
  flatDecayMult: nonNegNum().optional(),
  bypassDuplicate: bool().optional(),
});

export const optimWrapperSchema = z.strictObject({
  type: z.enum(['OptimWrapper', 'AmpOptimWrapper']).optional(),
  /** An optimizer part (`{ type: 'SGD', lr: 0.3, momentum: 0.9 }`), checked by OPTIMIZERS. */
  optimizer: typed<OptimizerConfig>(),
  paramwiseCfg: paramwiseSchema.optional(),
  clipGrad: z
    .union([
      z.strictObject({ type: z.literal('norm').optional(), maxNorm: posNum(), normType: posNum().optional() }),
      z.strictObject({ type: z.literal('value'), clipValue: posNum() }),
    ])
    .nullable()
    .optional(),
  accumulativeCounts: posInt().optional(),
  /** Layer-wise lr decay for ViT fine-tuning (MMSelfSup's LearningRateDecayOptimWrapperConstructor). */
  layerDecayRate: z.number().positive().max(1).optional(),
  zeroGradSetToNone: bool().optional(),
});
export type OptimWrapperConfig = z.infer<typeof optimWrapperSchema>;

/** Builds the optimizer over `model`'s trainable parameters and wraps it. */
export function buildOptimWrapper(cfg: unknown, model: nn.AnyModule, path = 'optimWrapper'): optim.OptimWrapper {
  const c = validate(optimWrapperSchema, cfg, path);
  const makeOptimizer = OPTIMIZERS.build(c.optimizer, `${path}.optimizer`);
  // The part's schema checked these: every optimizer has a positive lr and an optional decay.
  const lr = c.optimizer.lr as number;
  const weightDecay = c.optimizer.weightDecay as number | undefined;
  let groups: optim.ParamGroupInput[];
  if (c.layerDecayRate !== undefined) {
    groups = optim.layerDecayGroups(model, { lr, weightDecay: weightDecay ?? 0, layerDecayRate: c.layerDecayRate });
  } else {
    const named = optim
      .paramwiseGroups(model, { lr, weightDecay }, (c.paramwiseCfg ?? {}) as optim.ParamwiseConfig)
      .filter((g) => g.params[0].requiresGrad);
    groups = optim.mergeParamGroups(named);
  }
  if (groups.length === 0) throw new ConfigError(path, 'the model has no trainable parameters');
  const optimizer = makeOptimizer(groups);
  const gradScaler = c.type === 'AmpOptimWrapper' ? new optim.GradScaler() : null;
  return new optim.OptimWrapper(optimizer, {
    accumulativeCounts: c.accumulativeCounts,
    clipGrad: c.clipGrad ?? null,
    gradScaler,
  });
}
