/**
 * The built-in optimizers as parts (MMEngine's `OPTIMIZERS`): SGD, LARS (You et al. 2017), Adam
 * (Kingma & Ba 2015), AdamW (Loshchilov & Hutter 2019) and LAMB (You et al. 2020). Each part builds
 * a factory; the optimizer wrapper calls it with the parameter groups it made (paramwise settings,
 * layer decay), so an optimizer config holds only the optimizer's own hyperparameters.
 */
import { optim } from '@selfsup/torch';
import { definePart } from '../core/registry.js';
import { bool, nonNegNum, posNum, prob, z } from '../core/schema.js';
import { OPTIMIZERS } from './registries.js';

/** Hyperparameters every optimizer config has. */
const common = {
  /** The base learning rate (every group's unless paramwise settings scale it). */
  lr: posNum(),
  weightDecay: nonNegNum().optional(),
};
const momentum = {
  momentum: nonNegNum().optional(),
  dampening: nonNegNum().optional(),
  nesterov: bool().optional(),
};
const betas = () => z.tuple([prob(), prob()], { error: 'expected two coefficients [β1, β2] in [0, 1)' }).optional();

export const sgdSchema = z.strictObject({ ...common, ...momentum, maximize: bool().optional() });
export const sgdPart = definePart({
  registry: OPTIMIZERS,
  name: 'SGD',
  schema: sgdSchema,
  description: 'stochastic gradient descent with momentum / Nesterov (torch.optim.SGD)',
  build: (o) => (groups) => new optim.SGD(groups, o),
});

export const larsSchema = z.strictObject({
  ...common,
  ...momentum,
  /** Trust coefficient η. Default 0.001. */
  eta: posNum().optional(),
  eps: nonNegNum().optional(),
});
export const larsPart = definePart({
  registry: OPTIMIZERS,
  name: 'LARS',
  schema: larsSchema,
  description: 'layer-wise adaptive rate scaling (SimCLR, BYOL, Barlow Twins at large batch)',
  build: (o) => (groups) => new optim.LARS(groups, o),
});

export const adamSchema = z.strictObject({
  ...common,
  betas: betas(),
  eps: nonNegNum().optional(),
  amsgrad: bool().optional(),
  maximize: bool().optional(),
});
export const adamPart = definePart({
  registry: OPTIMIZERS,
  name: 'Adam',
  schema: adamSchema,
  description: 'Adam with L2 weight decay in the gradient (torch.optim.Adam)',
  build: (o) => (groups) => new optim.Adam(groups, o),
});
export const adamWPart = definePart({
  registry: OPTIMIZERS,
  name: 'AdamW',
  schema: adamSchema,
  description: 'Adam with decoupled weight decay (torch.optim.AdamW; MAE, MoCo v3 ViT)',
  build: (o) => (groups) => new optim.AdamW(groups, o),
});

export const lambSchema = z.strictObject({
  ...common,
  betas: betas(),
  eps: nonNegNum().optional(),
  biasCorrection: bool().optional(),
  gradAveraging: bool().optional(),
  /** Global gradient norm above which gradients are scaled down; null disables. */
  maxGradNorm: posNum().nullable().optional(),
  /** LAMBC: clip the trust ratio at 1. */
  trustClip: bool().optional(),
  /** Adapt also parameters without weight decay. */
  alwaysAdapt: bool().optional(),
});
export const lambPart = definePart({
  registry: OPTIMIZERS,
  name: 'LAMB',
  schema: lambSchema,
  description: "layer-wise adaptive moments (timm's Lamb)",
  build: (o) => (groups) => new optim.LAMB(groups, o),
});

/** The built-in optimizers. */
export const OPTIMIZER_PARTS = [sgdPart, larsPart, adamPart, adamWPart, lambPart];
