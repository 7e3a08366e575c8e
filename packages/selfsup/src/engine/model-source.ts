/**
 * Where an evaluation's backbone and data come from, for the commands and the demo: a checkpoint
 * written by `selfsup train` (self-describing: its config rebuilds the algorithm), a config plus
 * converted weights (`.pth`/safetensors from torchvision, timm or MMSelfSup), the same
 * architecture randomly initialised, or raw pixels; and labelled data from a path (any format
 * `openDataset` recognises) with an optional resize + centre crop.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@selfsup/torch';
import type { Dataset } from '../data/datasets/base.js';
import { takeSamples } from '../data/datasets/subset.js';
import { DataLoader } from '../data/loader/loader.js';
import { classBalancedHoldout } from '../data/holdout.js';
import { openDataset } from '../data/open.js';
import { CenterCrop, Resize } from '../data/transforms/random.js';
import { MultiView } from '../data/transforms/multi-view.js';
import { loadCheckpoint, loadCheckpointData } from './checkpoint.js';
import { type Config, validateConfig } from './config/config.js';
import type { ConfigObject } from './config/merge.js';
import { prepareConfig } from './config/prepare.js';
import type { Algorithm } from '../models/algorithms/base.js';
import { loadBackboneWeights } from '../models/backbones/load.js';
import '../builtins.js';
import { backboneEncoder, type Encoder, pixelEncoder } from '../evaluation/features.js';
import { ALGORITHMS } from '../models/registries.js';

export interface ModelSource {
  /** A `selfsup train` checkpoint, or its work dir (uses `latest`). */
  checkpoint?: string;
  /** A config file (needed for converted weights without an embedded config). */
  config?: string;
  /** Converted backbone weights to load into the config's backbone. */
  weights?: string;
  /** Keep the architecture's random initialisation (the random-init baseline). */
  random?: boolean;
  cfgOptions?: string[];
  /** Seed of the initialisation instead of the config's `randomness.seed` (repeated random-init baselines). */
  seed?: number;
}

/** The algorithm built and (unless `random`) loaded, and a description for tables. */
export function loadModel(src: ModelSource): { model: Algorithm; cfg: Config; describe: string } {
  let cfg: Config;
  let state: Record<string, unknown> | null = null;
  let from = '';
  if (src.checkpoint) {
    const ck = loadCheckpoint(resolveCheckpoint(src.checkpoint));
    from = ck.file;
    const meta = ck.state.meta as Record<string, unknown> | undefined;
    if (src.config) cfg = prepareConfig(src.config, src.cfgOptions);
    else if (meta && typeof meta.config === 'string') cfg = validateConfig(JSON.parse(meta.config) as ConfigObject);
    else throw new Error(`${ck.file}: no embedded config (not written by selfsup train); pass --config`);
    state = ck.state;
  } else if (src.config) {
    cfg = prepareConfig(src.config, src.cfgOptions);
  } else {
    throw new Error('no model: pass --checkpoint (a selfsup train checkpoint or work dir) or --config');
  }
  torch.manualSeed(src.seed ?? cfg.randomness?.seed ?? 0);
  const model = ALGORITHMS.build(cfg.model, 'model');
  if (!src.random) {
    if (state) model.loadStateDict(state.state_dict as Record<string, torch.Tensor>, { strict: true });
    if (src.weights) {
      loadBackboneWeights(model.backbone, loadCheckpointData(src.weights));
      from = src.weights;
    }
  }
  model.eval();
  const describe = src.random
    ? `${cfg.model.type} backbone, random init`
    : `${cfg.model.type} backbone${from ? ` from ${from}` : ', config init'}`;
  return { model, cfg, describe };
}

function resolveCheckpoint(p: string): string {
  if (existsSync(p) && statSync(p).isDirectory() && existsSync(join(p, 'checkpoints'))) return join(p, 'checkpoints');
  return p;
}

/** The features of a model's backbone (pooled output of its last stage). */
export function modelEncoder(model: Algorithm, stage?: number): Encoder {
  // Through `extractFeat`, so a model that transforms the backbone's input (DeepCluster's Sobel) is evaluated on what it trained on.
  return backboneEncoder(model.backbone, { ...model.normalization, stage, features: (x) => model.extractFeat(x) });
}

/**
 * The encoder a command's flags name: raw pixels (scaled to [-1, 1]) with `pixels`, else the
 * backbone of `loadModel(src)` at output `stage`.
 */
export function encoderFor(src: ModelSource & { pixels?: boolean; stage?: number; device?: string }): Encoder {
  if (src.pixels) return pixelEncoder({ mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] });
  const { model } = loadModel(src);
  // Images follow the backbone to its device (features.ts); the features come back from there.
  if (src.device && src.device !== 'cpu') model.to(src.device);
  return modelEncoder(model, src.stage);
}

export interface DataSource {
  path: string;
  split?: string;
  /** Resize the short side to `size` and centre-crop `size × size` (images of varying size). */
  size?: number;
  /** Use a seeded random subset of this many images. */
  limit?: number;
  /** The subset's seed (default 0). */
  seed?: number;
  batchSize?: number;
  /** Require labels (default true). */
  labelled?: boolean;
  /** Images that do not decode: `'skip'` leaves them out with a warning naming the file (default `'error'`). */
  onCorrupt?: 'error' | 'skip';
  /**
   * Use one part of a class-balanced hold-out of `fraction` of the data (seeded by `seed`; see
   * `classBalancedHoldout`): `test` the held-out images, `train` the rest. Applied before `limit`.
   */
  holdout?: { fraction: number; part: 'train' | 'test' };
}

/** An evaluation loader (no shuffle, all images). */
export async function evalLoader(src: DataSource): Promise<{ dataset: Dataset; loader: DataLoader }> {
  const opened = await openDataset({ path: src.path, split: src.split });
  const full = src.holdout ? classBalancedHoldout(opened, src.holdout.fraction, src.seed ?? 0)[src.holdout.part] : opened;
  const dataset = src.limit !== undefined && src.limit < full.length ? takeSamples(full, src.limit, src.seed ?? 0) : full;
  if (src.labelled !== false && !dataset.labels)
    throw new Error(`${src.path}: evaluation needs labelled data (class sub-folders or a labelled format)`);
  const views = src.size ? new MultiView([[new Resize(src.size), new CenterCrop(src.size)]], 1) : undefined;
  const loader = new DataLoader(dataset, { batchSize: src.batchSize ?? 256, views, shuffle: false, onCorrupt: src.onCorrupt });
  return { dataset, loader };
}
