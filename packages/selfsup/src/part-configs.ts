/**
 * The static types of what a config writes for each kind of part, derived from the built-in
 * manifest (`src/builtins.ts`): `{ type: Name } & z.input<schema>` for every built-in part of the
 * kind, as a union (`BackboneConfig` is any built-in backbone's config). Part schemas use them for
 * their nested parts (`backbone: typed<BackboneConfig>()`), the config schema for its fields, and
 * `defineConfig` for whole configs, so a misspelt `type` or option is a `tsc` error. Types only: this
 * module imports nothing at run time.
 */
import type { PartConfig } from './core/registry.js';
import type { z } from './core/schema.js';
import type { multiViewSchema } from './data/register.js';
import type {
  ALGORITHM_PARTS,
  BACKBONE_PARTS,
  DATASET_PARTS,
  HEAD_PARTS,
  HOOK_PARTS,
  LOSS_PARTS,
  NECK_PARTS,
  OPTIMIZER_PARTS,
  PARAM_SCHEDULER_PARTS,
  PIPELINE_STEP_PARTS,
  TARGET_GENERATOR_PARTS,
  TRANSFORM_PARTS,
} from './builtins.js';

export type BackboneConfig = PartConfig<(typeof BACKBONE_PARTS)[number]>;
export type NeckConfig = PartConfig<(typeof NECK_PARTS)[number]>;
export type HeadConfig = PartConfig<(typeof HEAD_PARTS)[number]>;
export type LossConfig = PartConfig<(typeof LOSS_PARTS)[number]>;
export type TargetGeneratorConfig = PartConfig<(typeof TARGET_GENERATOR_PARTS)[number]>;
/** `model`. */
export type AlgorithmConfig = PartConfig<(typeof ALGORITHM_PARTS)[number]>;
/** A dataset part's config, without a pipeline. */
export type DatasetPartConfig = PartConfig<(typeof DATASET_PARTS)[number]>;
export type TransformConfig = PartConfig<(typeof TRANSFORM_PARTS)[number]>;
/** A pipeline entry: a transform, a multi-output step or a mask generator. */
export type PipelineStepConfig = TransformConfig | PartConfig<(typeof PIPELINE_STEP_PARTS)[number]>;
/** MMSelfSup's `{ type: 'MultiView', numViews, transforms }`: pipeline i applied numViews[i] times. */
export type MultiViewConfig = { type: 'MultiView' } & z.input<typeof multiViewSchema>;
/** A dataset's `pipeline`: views (`MultiView`) or a plain list of steps (one view). */
export type PipelineConfig = MultiViewConfig | PipelineStepConfig[];
/** `trainDataloader.dataset`, `knnMonitor.train`: a dataset and the pipeline the loader applies to it. */
export type DatasetConfig = DatasetPartConfig & { pipeline?: PipelineConfig };
export type HookConfig = PartConfig<(typeof HOOK_PARTS)[number]>;
export type OptimizerConfig = PartConfig<(typeof OPTIMIZER_PARTS)[number]>;
export type SchedulerConfig = PartConfig<(typeof PARAM_SCHEDULER_PARTS)[number]>;
