/**
 * The data registries (MMSelfSup's `DATASETS` and `TRANSFORMS`): datasets, one-image transforms,
 * and the pipeline steps that are not plain transforms (multi-output steps, mask generators).
 * Parts are declared with `definePart` and added by the built-in manifest (`src/builtins.ts`) or a
 * user's `--import` module.
 */
import { Registry } from '../core/registry.js';
import type { Dataset } from './datasets/base.js';
import type { Transform } from './transforms/random.js';
import type { MaskGenerator, MultiOutputTransform } from './transforms/steps.js';

/** Datasets (ImageFolder, CIFAR10, FashionMNIST, …): `trainDataloader.dataset` in a config. */
export const DATASETS = new Registry<Dataset>('datasets');
/** Transforms (RandomResizedCrop, ColorJitter, …): entries of a dataset's `pipeline`. */
export const TRANSFORMS = new Registry<Transform>('transforms');
/** Pipeline steps that are not one-image-in, one-out transforms: multi-output steps and mask generators. */
export const PIPELINE_STEPS = new Registry<MultiOutputTransform | MaskGenerator>('pipeline steps');
