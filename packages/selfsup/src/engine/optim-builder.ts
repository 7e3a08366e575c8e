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
import { bool, ConfigError, num, nonNegNum, posInt, posNum, validate, z } from './config/schema.js';

const optimizerSchema = z.looseObject({
  type: z.enum(['SGD', 'LARS', 'Adam', 'AdamW', 'LAMB']),
  lr: posNum(),
  weightDecay: nonNegNum().optional(),
  momentum: num().optional(),
});

export const optimWrapperSchema = z.strictObject({
  type: z.enum(['OptimWrapper', 'AmpOptimWrapper']).optional(),
  optimizer: optimizerSchema,
  paramwiseCfg: z.record(z.string(), z.unknown()).optional(),
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
  const { type, ...hyper } = c.optimizer;
  let groups: optim.ParamGroupInput[];
  if (c.layerDecayRate !== undefined) {
    groups = optim.layerDecayGroups(model, {
      lr: hyper.lr,
      weightDecay: hyper.weightDecay ?? 0,
      layerDecayRate: c.layerDecayRate,
    });
  } else {
    const named = optim
      .paramwiseGroups(model, { lr: hyper.lr, weightDecay: hyper.weightDecay }, (c.paramwiseCfg ?? {}) as optim.ParamwiseConfig)
      .filter((g) => g.params[0].requiresGrad);
    groups = optim.mergeParamGroups(named);
  }
  if (groups.length === 0) throw new ConfigError(path, 'the model has no trainable parameters');
  let optimizer: optim.Optimizer;
  const h = hyper as Record<string, unknown> & { lr: number };
  switch (type) {
    case 'SGD':
      optimizer = new optim.SGD(groups, h);
      break;
    case 'LARS':
      optimizer = new optim.LARS(groups, h);
      break;
    case 'Adam':
      optimizer = new optim.Adam(groups, h);
      break;
    case 'AdamW':
      optimizer = new optim.AdamW(groups, h);
      break;
    case 'LAMB':
      optimizer = new optim.LAMB(groups, h);
      break;
  }
  const gradScaler = c.type === 'AmpOptimWrapper' ? new optim.GradScaler() : null;
  return new optim.OptimWrapper(optimizer, {
    accumulativeCounts: c.accumulativeCounts,
    clipGrad: c.clipGrad ?? null,
    gradScaler,
  });
}
