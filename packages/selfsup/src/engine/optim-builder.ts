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
 *
 * `type: 'AmpOptimWrapper'` is MMEngine's mixed precision: forward and loss in an autocast region
 * (`dtype` float16 by default on GPUs, with dynamic loss scaling; bfloat16 needs no scaling). On the
 * CPU it autocasts only when `dtype` is given (bfloat16: CPU autocast is slower than float32 on
 * CPUs without bf16 instructions), and says so.
 */
import { type DType, type nn, optim } from '@selfsup/torch';
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
  /** AmpOptimWrapper: the autocast dtype (MMEngine's `dtype`; default float16 on GPUs). */
  dtype: z.enum(['float16', 'bfloat16']).optional(),
  /** AmpOptimWrapper: `dynamic` (default), a fixed scale, or the dynamic scaler's settings (MMEngine's `loss_scale`). */
  lossScale: z
    .union([
      z.literal('dynamic'),
      posNum(),
      z.strictObject({
        initScale: posNum().optional(),
        growthFactor: posNum().optional(),
        backoffFactor: posNum().optional(),
        growthInterval: posInt().optional(),
      }),
    ])
    .optional(),
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
  if (c.type !== 'AmpOptimWrapper' && (c.dtype !== undefined || c.lossScale !== undefined))
    throw new ConfigError(
      `${path}.${c.dtype !== undefined ? 'dtype' : 'lossScale'}`,
      "is an AmpOptimWrapper setting: set type: 'AmpOptimWrapper'",
    );
  const amp = c.type === 'AmpOptimWrapper' ? mixedPrecision(c, model.parameters()[0]?.device ?? 'cpu', path) : null;
  return new optim.OptimWrapper(optimizer, {
    accumulativeCounts: c.accumulativeCounts,
    clipGrad: c.clipGrad ?? null,
    gradScaler: amp?.gradScaler ?? null,
    autocast: amp?.autocast ?? null,
    fixedLossScale: amp?.fixedLossScale,
  });
}

let cpuAmpNoticeShown = false;

/** The autocast region and loss scaler of an AmpOptimWrapper on `device`. */
function mixedPrecision(
  c: OptimWrapperConfig,
  device: string,
  path: string,
): {
  autocast: { deviceType: 'cpu' | 'cuda'; dtype: DType } | null;
  gradScaler: optim.GradScaler | null;
  fixedLossScale?: number;
} {
  const onGpu = device.startsWith('cuda');
  if (!onGpu && c.dtype === undefined) {
    if (!cpuAmpNoticeShown) {
      cpuAmpNoticeShown = true;
      console.error(
        `selfsup: ${path}: AmpOptimWrapper on the CPU trains in float32 (set ${path}.dtype: 'bfloat16' for CPU autocast)`,
      );
    }
    return { autocast: null, gradScaler: null };
  }
  const dtype: DType = c.dtype ?? 'float16';
  if (!onGpu && dtype === 'float16')
    throw new ConfigError(`${path}.dtype`, "float16 autocast needs a GPU; on the CPU use 'bfloat16'");
  // float16's narrow exponent range makes small gradients underflow: scale the loss. bfloat16 has
  // float32's range and needs no scaling unless a scale is asked for.
  const ls = c.lossScale ?? (dtype === 'float16' ? 'dynamic' : undefined);
  let gradScaler: optim.GradScaler | null = null;
  if (ls === 'dynamic') gradScaler = new optim.GradScaler();
  else if (typeof ls === 'number') gradScaler = new optim.GradScaler({ initScale: ls });
  else if (ls) gradScaler = new optim.GradScaler(ls);
  return {
    autocast: { deviceType: onGpu ? 'cuda' : 'cpu', dtype },
    gradScaler,
    ...(typeof ls === 'number' ? { fixedLossScale: ls } : {}),
  };
}
