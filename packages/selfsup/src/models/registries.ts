/**
 * The model registries (MMSelfSup's `MODELS`, split by kind so each is typed by what it builds):
 * backbones, necks, heads, losses and algorithms. Parts are declared with `definePart` in their
 * own files and added by the built-in manifest (`src/builtins.ts`) or a user's `--import` module.
 */
import type { nn, Tensor } from '@selfsup/torch';
import { Registry } from '../core/registry.js';
import type { Algorithm } from './algorithms/base.js';
import type { Backbone } from './backbones/base.js';

/** A neck: the backbone's outputs in, a list of features out (`(N, D)` vectors or dense maps). */
export type Neck = nn.Module<[Tensor[]], Tensor[]>;

/**
 * A head or a loss module: whatever inputs its algorithm gives it, a scalar loss out (MMSelfSup's
 * `head.loss(...)`); an algorithm checks it built the class it needs (`HEADS.buildAs`).
 */
export type LossModule = nn.Module<unknown[], Tensor>;

/** Backbones: ResNet, VisionTransformer, SwinTransformer and their named variants. */
export const BACKBONES = new Registry<Backbone>('backbones');
/** Necks: projectors and predictors between backbone and head (NonLinearNeck, MoCoV2Neck, …). */
export const NECKS = new Registry<Neck>('necks');
/** Heads: turn neck outputs into a loss (ContrastiveHead, LatentPredictHead, …). */
export const HEADS = new Registry<LossModule>('heads');
/** Losses as modules (CosineSimilarityLoss, CrossCorrelationLoss, …), built by heads. */
export const LOSSES = new Registry<LossModule>('losses');
/** Algorithms (SimCLR, MoCo, BYOL, …): `model` in a config. */
export const ALGORITHMS = new Registry<Algorithm>('algorithms');
