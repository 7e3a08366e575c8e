/**
 * The built-in parameter schedulers as parts (MMEngine's `PARAM_SCHEDULERS`): LinearLR,
 * CosineAnnealingLR (Loshchilov & Hutter 2017), StepLR, MultiStepLR, ExponentialLR, PolyLR and
 * OneCycleLR (Smith & Topin 2019). Each part builds a factory the runner calls with the optimizer
 * and the epoch length; `convertToIterBased` turns an epoch-based entry into an iteration-based one.
 */
import { optim } from '@selfsup/torch';
import { definePart } from '../core/registry.js';
import { bool, int, nonNegInt, nonNegNum, posInt, posNum, prob, str, z } from '../core/schema.js';
import { CosineAnnealingWeightDecay } from './cosine-weight-decay.js';
import { PARAM_SCHEDULERS } from './registries.js';

/** Options every scheduler has (MMEngine's `_ParamScheduler`). */
const common = {
  /** The hyperparameter to schedule: 'lr' (default), 'momentum', 'weightDecay', … */
  param: str().optional(),
  /** First global step at which the schedule applies (default 0). */
  begin: nonNegInt().optional(),
  /** Global step at which it stops (exclusive; default ∞). */
  end: posInt().optional(),
  /** Stepped per epoch (true, MMEngine's default) or per iteration (false). */
  byEpoch: bool().optional(),
  /** Resume without a state dict: the index of the last step taken (default -1: a new schedule). */
  lastStep: int().min(-1).optional(),
  /** Given in epochs, stepped per iteration (begin/end and periods × the epoch length). */
  convertToIterBased: bool().optional(),
};
const numOrList = () => z.union([posNum(), z.array(posNum()).min(1)], { error: 'expected a number or one per group' });

/** A scheduler part: the checked config (with its `type`) goes to @selfsup/torch's `buildParamScheduler`. */
function schedulerPart<const N extends optim.SchedulerConfig['type'], S extends z.ZodRawShape>(
  name: N,
  shape: S,
  description: string,
) {
  return definePart({
    registry: PARAM_SCHEDULERS,
    name,
    schema: z.strictObject({ ...common, ...shape }),
    description,
    build:
      (o) =>
      (target, { epochLength }) =>
        // The schema checked the options of this `type`; the union member is the one named.
        optim.buildParamScheduler(target, { type: name, ...o } as optim.SchedulerConfig, { epochLength }),
  });
}

/** mmpretrain's `CosineAnnealingWeightDecay` (its own class: zero-decay groups keep 0). */
const { param: _param, ...commonButParam } = common;
export const cosineAnnealingWeightDecayPart = definePart({
  registry: PARAM_SCHEDULERS,
  name: 'CosineAnnealingWeightDecay',
  schema: z.strictObject({
    ...commonButParam,
    /** Half-period in steps (default end − begin). */
    tMax: posInt().optional(),
    /** Final weight decay (default 0; SparK: 0.2, above the initial 0.04). */
    etaMin: nonNegNum().optional(),
    /** Final value as a ratio of each group's initial decay (instead of etaMin). */
    etaMinRatio: nonNegNum().optional(),
  }),
  description: "mmpretrain's cosine schedule of the weight decay; groups without decay keep none",
  build:
    ({ convertToIterBased, ...o }) =>
    (target, { epochLength }) =>
      convertToIterBased === true && o.byEpoch !== false
        ? CosineAnnealingWeightDecay.fromEpochs(target, o, epochLength)
        : new CosineAnnealingWeightDecay(target, o),
});

/** The built-in schedulers. */
export const PARAM_SCHEDULER_PARTS = [
  schedulerPart(
    'LinearLR',
    {
      /** Factor at the first step (default 1/3). */
      startFactor: nonNegNum().optional(),
      /** Factor reached after `totalIters` steps (default 1). */
      endFactor: nonNegNum().optional(),
      totalIters: posInt().optional(),
    },
    'linear ramp of the factor from startFactor to endFactor (warm-up)',
  ),
  schedulerPart(
    'CosineAnnealingLR',
    {
      /** Half-period in steps (default end − begin). */
      tMax: posInt().optional(),
      /** Final value (default 0). */
      etaMin: nonNegNum().optional(),
      /** Final value as a ratio of each group's initial value (instead of etaMin). */
      etaMinRatio: nonNegNum().optional(),
    },
    'cosine annealing to etaMin over [begin, end)',
  ),
  schedulerPart('StepLR', { stepSize: posInt(), gamma: posNum().optional() }, 'multiply by gamma every stepSize steps'),
  schedulerPart(
    'MultiStepLR',
    { milestones: z.array(nonNegInt()).min(1), gamma: posNum().optional() },
    'multiply by gamma at each milestone',
  ),
  schedulerPart('ExponentialLR', { gamma: posNum() }, 'multiply by gamma every step'),
  schedulerPart(
    'PolyLR',
    { power: posNum().optional(), etaMin: nonNegNum().optional(), totalIters: posInt().optional() },
    'polynomial decay to etaMin',
  ),
  schedulerPart(
    'OneCycleLR',
    {
      maxLr: numOrList(),
      totalSteps: posInt().optional(),
      epochs: posInt().optional(),
      stepsPerEpoch: posInt().optional(),
      pctStart: prob().optional(),
      annealStrategy: z.enum(['cos', 'linear']).optional(),
      cycleMomentum: bool().optional(),
      baseMomentum: numOrList().optional(),
      maxMomentum: numOrList().optional(),
      divFactor: posNum().optional(),
      finalDivFactor: posNum().optional(),
      threePhase: bool().optional(),
    },
    'the 1cycle policy (Smith & Topin 2019)',
  ),
  cosineAnnealingWeightDecayPart,
];
