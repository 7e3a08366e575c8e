/**
 * A dataset and its augmentation from a config entry: MMSelfSup puts the `pipeline` inside the
 * dataset config; selfsup's loader applies it, so it is split off and built separately.
 */
import type { Dataset } from '../data/datasets/base.js';
import { buildViews } from '../data/register.js';
import type { MultiView } from '../data/transforms/multi-view.js';
import type { TypedConfig } from '../core/registry.js';
import { DATASETS } from '../data/registries.js';

export function buildDataset(cfg: TypedConfig, path: string): { dataset: Dataset; views: MultiView | undefined } {
  const { pipeline, ...rest } = cfg;
  const dataset = DATASETS.build(rest, path);
  const views = pipeline === undefined ? undefined : buildViews(pipeline, `${path}.pipeline`);
  return { dataset, views };
}
