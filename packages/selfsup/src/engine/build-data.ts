/**
 * A dataset and its augmentation from a config entry: MMSelfSup puts the `pipeline` inside the
 * dataset config; selfsup's loader applies it, so it is split off and built separately.
 */
import type { Dataset } from '../data/datasets/base.js';
import { buildViews } from '../data/register.js';
import type { MultiView } from '../data/transforms/multi-view.js';
import type { TypedConfig } from '../core/registry.js';
import { DATASETS, PIPELINE_STEPS } from '../data/registries.js';
import { isMaskGenerator, type MaskGenerator } from '../data/transforms/steps.js';
import type { Config } from './config/config.js';

export function buildDataset(cfg: TypedConfig, path: string): { dataset: Dataset; views: MultiView | undefined } {
  const { pipeline, ...rest } = cfg;
  const dataset = DATASETS.build(rest, path);
  const views = pipeline === undefined ? undefined : buildViews(pipeline, `${path}.pipeline`);
  return { dataset, views };
}

/** The mask generator of a config's training pipeline (SimMIM's, BEiT's), if it has one. */
export function pipelineMaskGenerator(cfg: Pick<Config, 'trainDataloader'>): MaskGenerator | null {
  const found: MaskGenerator[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) visit(x);
    else if (v && typeof v === 'object') {
      const type = (v as { type?: unknown }).type;
      if (typeof type === 'string' && PIPELINE_STEPS.get(type)) {
        const step = PIPELINE_STEPS.build(v, 'trainDataloader.dataset.pipeline');
        if (isMaskGenerator(step)) found.push(step);
      } else for (const x of Object.values(v)) visit(x);
    }
  };
  visit(cfg.trainDataloader.dataset.pipeline);
  return found[0] ?? null;
}
