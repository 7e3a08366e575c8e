/**
 * The model registries (MMSelfSup's `MODELS`, split by kind so each is typed by what it builds):
 * backbones, necks, heads, losses and algorithms. Parts are declared with `definePart` in their
 * own files and added by the built-in manifest (`src/builtins.ts`) or a user's `--import` module.
 */
import type { nn, Tensor } from '@selfsup/torch';
import { Registry } from '../core/registry.js';
import type { Algorithm } from './algorithms/base.js';
import type { Backbone } from './backbones/base.js';

/**
 * A neck: whatever sits between backbone and head. Most are `FeatureNeck`s; masked-image-modelling
 * decoders take what their backbone's masked forward returns (MAE's latent and `ids_restore`), so
 * the registry only knows a neck is a module, and an algorithm checks it built the class it needs
 * (`NECKS.buildAs`).
 */
export type Neck = nn.Module<unknown[], unknown>;

/** The common neck: the backbone's outputs in, a list of features out (`(N, D)` vectors or dense maps). */
export type FeatureNeck = nn.Module<[Tensor[]], Tensor[]>;

/**
 * A target generator of masked image modelling (MMSelfSup's `target_generator`): images in, what the
 * model learns to predict out (HOG features, a tokenizer's ids, a teacher's features).
 */
export type TargetGenerator = nn.Module<unknown[], unknown>;

/**
 * A head or a loss module: whatever inputs its algorithm gives it, a scalar loss out (MMSelfSup's
 * `head.loss(...)`); an algorithm checks it built the class it needs (`HEADS.buildAs`).
 */
export type LossModule = nn.Module<unknown[], Tensor>;

/** Backbones: ResNet, VisionTransformer, SwinTransformer and their named variants. */
export const BACKBONES = new Registry<Backbone>('backbones');
/** Necks: projectors and predictors between backbone and head (NonLinearNeck, MoCoV2Neck, …). */
export const NECKS = new Registry<Neck>('necks');
/** Target generators of masked image modelling (HOGGenerator, tokenizers, teachers). */
export const TARGET_GENERATORS = new Registry<TargetGenerator>('target-generators');
/** Heads: turn neck outputs into a loss (ContrastiveHead, LatentPredictHead, …). */
export const HEADS = new Registry<LossModule>('heads');
/** Losses as modules (CosineSimilarityLoss, CrossCorrelationLoss, …), built by heads. */
export const LOSSES = new Registry<LossModule>('losses');
/** Algorithms (SimCLR, MoCo, BYOL, …): `model` in a config. */
export const ALGORITHMS = new Registry<Algorithm>('algorithms');

/**
 * Builds a neck that is used as a `FeatureNeck` (a projector or predictor). Every built-in neck but
 * the masked-image-modelling decoders is one; those are built with `NECKS.buildAs` by their
 * algorithms, and a config that puts one here fails at its first forward with a shape error.
 */
export function buildFeatureNeck(cfg: Parameters<typeof NECKS.build>[0], path: string): FeatureNeck {
  return NECKS.build(cfg, path) as FeatureNeck;
}
