/**
 * A backbone with a linear classification head for end-to-end fine-tuning (the fine-tuning
 * protocol of He et al. 2020, MoCo; Bao et al. 2022, BEiT; He et al. 2022, MAE): uint8 images
 * `(N, C, H, W)` → normalise → backbone → pooled stage output `(N, D)` → `head` → logits
 * `(N, numClasses)`. Parameters are named `backbone.…` and `head.…`, MMSelfSup's (mmcls's
 * `ImageClassifier`) names, so layer-wise lr decay and checkpoints see the usual keys.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import type { Backbone } from '../models/backbones/base.js';
import { checkNormalization, type ImageNormalization, normalizeImages } from '../core/images.js';
import { type PoolMode, poolFeatures } from './preprocess.js';

export interface ImageClassifierOptions extends ImageNormalization {
  numClasses: number;
  /** Index into the backbone's `forward()` outputs; default the last. */
  stage?: number;
  /** Pooling of that output (default: average for maps, class token for ViT tokens). */
  pool?: PoolMode;
  /**
   * Width of the pooled features (default: the channels of the chosen stage, from the backbone's
   * `outIndices` and `stageChannels`). Required with `pool: 'flatten'`.
   */
  inFeatures?: number;
  /** Std of the head's normal initialisation (default 0.01, mmcls's `LinearClsHead`; MAE uses 2e-5). Bias 0. */
  headInitStd?: number;
  /** Seeds the head's initialisation (default: the global generator). */
  seed?: number;
}

/** The channels of output `stage` of `backbone.forward()`, from its `outIndices` when it has them. */
function stageWidth(backbone: Backbone, stage: number | undefined): number {
  const outIndices = (backbone as { outIndices?: number[] }).outIndices;
  if (!outIndices || outIndices.length === 0) return backbone.numFeatures;
  const s = stage ?? outIndices.length - 1;
  const r = s < 0 ? outIndices.length + s : s;
  if (!(r >= 0 && r < outIndices.length))
    throw new RangeError(`ImageClassifier: stage ${s} out of range for ${outIndices.length} outputs`);
  return backbone.stageChannels[outIndices[r]];
}

/** Backbone + pooling + linear head; `forward(images)` gives logits. */
export class ImageClassifier extends nn.Module {
  readonly backbone: Backbone;
  readonly head: nn.Linear;
  readonly numClasses: number;
  private readonly numPrefixTokens: number;

  constructor(
    backbone: Backbone,
    readonly opts: ImageClassifierOptions,
  ) {
    super();
    checkNormalization(opts, 'ImageClassifier');
    if (!(Number.isInteger(opts.numClasses) && opts.numClasses >= 1))
      throw new RangeError(`ImageClassifier: numClasses must be a positive integer, got ${opts.numClasses}`);
    if (opts.pool === 'flatten' && opts.inFeatures === undefined)
      throw new RangeError("ImageClassifier: pool 'flatten' needs inFeatures");
    this.numClasses = opts.numClasses;
    this.numPrefixTokens = (backbone as { numPrefixTokens?: number }).numPrefixTokens ?? 0;
    this.backbone = this.registerModule('backbone', backbone);
    const inFeatures = opts.inFeatures ?? stageWidth(backbone, opts.stage);
    this.head = this.registerModule('head', new nn.Linear(inFeatures, opts.numClasses));
    this.initHead();
  }

  /** N(0, headInitStd²) weight, zero bias. */
  initHead(): void {
    const g = this.opts.seed === undefined ? undefined : new torch.Generator().manualSeed(this.opts.seed);
    try {
      nn.init.normal_(this.head.weight, 0, this.opts.headInitStd ?? 0.01, g);
      if (this.head.bias) nn.init.zeros_(this.head.bias);
    } finally {
      g?.dispose();
    }
  }

  /** Pooled `(N, D)` features of normalised images (what the head sees). */
  features(images: Tensor): Tensor {
    return torch.tidy(() => {
      const device = this.head.weight.device;
      const outs = this.backbone.forward(normalizeImages(images.to(device), this.opts));
      const s = this.opts.stage ?? outs.length - 1;
      const r = s < 0 ? outs.length + s : s;
      if (!(r >= 0 && r < outs.length))
        throw new RangeError(`ImageClassifier: stage ${s} out of range for ${outs.length} outputs`);
      return poolFeatures(outs[r], this.opts.pool, this.numPrefixTokens);
    });
  }

  forward(images: Tensor): Tensor {
    return torch.tidy(() => this.head.forward(this.features(images)));
  }
}
