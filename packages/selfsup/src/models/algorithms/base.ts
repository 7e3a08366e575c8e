/**
 * The algorithm bases (MMSelfSup's `BaseModel` + `SelfSupDataPreprocessor`). An algorithm owns its
 * backbone, neck, head and any target network, queue or memory bank, and turns a batch of views
 * into a loss. The runner drives it; it never imports the runner. Images are `(N, C, H, W)`.
 *
 * - `Algorithm`: what the runner and evaluation need — a backbone built from `backbone`, the image
 *   normalisation, `loss()` and `extractFeat()`.
 * - `BaseModel`: also builds `neck` and `head` from the config, checking the head (and neck) is of
 *   the class the algorithm needs, and makes momentum targets from the same configs; an algorithm
 *   file is then its schema (`baseModelShape` plus its own options) and its `loss()`.
 */
import { nn, type Tensor } from '@selfsup/torch';
import { checkNormalization, type ImageNormalization, normalizeImages } from '../../core/images.js';
import type { TrainProgress } from '../../core/progress.js';
import type { TypedConfig } from '../../core/registry.js';
import { ConfigError, num, typed, z } from '../../core/schema.js';
import type { Backbone } from '../backbones/base.js';
import { ModuleBackbone, moduleBackbone } from '../backbones/module-backbone.js';
import { BACKBONES, buildFeatureNeck, type FeatureNeck, HEADS, type LossModule, type Neck, NECKS } from '../registries.js';
import { Encoder, MomentumTarget, type MomentumTargetOptions } from './momentum-target.js';
import type { BackboneConfig, HeadConfig, NeckConfig } from '../../part-configs.js';

export type { TrainProgress };

/** A training batch as the algorithm sees it. */
export interface AlgorithmInput {
  /** One `(N, C, H, W)` uint8 (or float) tensor per view, as the loader makes them. */
  views: Tensor[];
  /** `(N)` int64 labels when known (unused by SSL losses; kept for logging/monitors). */
  labels?: Tensor | null;
  /** `(N)` int64 dataset indices (memory banks, clustering). */
  idx?: Tensor;
  /** Per-view masks for masked image modelling (`(N, h, w)` bool), when the pipeline makes them. */
  masks?: Tensor[];
}

/** The loss and the scalar terms to log (`{ loss, logs: { loss_contrastive: 4.1 } }`). */
export interface LossOutput {
  /** The scalar to minimise (a 0-d tensor with grad). */
  loss: Tensor;
  /** Extra scalars to log (already detached numbers). */
  logs: Record<string, number>;
}

/** ImageNet statistics in 0–255 units (MMSelfSup's defaults). */
export const IMAGENET_MEAN = [123.675, 116.28, 103.53];
export const IMAGENET_STD = [58.395, 57.12, 57.375];

/** MMSelfSup's `SelfSupDataPreprocessor`: per-channel mean/std in 0–255 units, RGB. Default ImageNet's. */
export const dataPreprocessorSchema = () =>
  z.strictObject({ mean: z.array(num()).optional(), std: z.array(num()).optional() }).optional();
export type DataPreprocessorOptions = z.input<ReturnType<typeof dataPreprocessorSchema>>;

/**
 * An algorithm's backbone: a config (`{ type: 'ResNet', depth: 50 }`), or, from code, a ready
 * `nn.Module` declaring its output channels (`numFeatures` or `outChannels`; see ModuleBackbone).
 * Configs stay plain data: a module is for algorithms built in code (`new SimCLR({ backbone: net, … })`
 * or `ALGORITHMS.build({ type: 'SimCLR', backbone: net, … })`).
 */
export type BackboneSpec = BackboneConfig | nn.AnyModule;

const backboneSpec = () =>
  z.custom<BackboneSpec>(
    (v) =>
      v instanceof nn.Module ||
      (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string'),
    { error: 'expected a backbone config with a `type`, or an nn.Module' },
  );

/** The backbone `spec` names: built from its config, or the module adapted (ModuleBackbone). */
export function buildBackbone(spec: BackboneSpec, path: string, who: string): Backbone {
  return spec instanceof nn.Module ? moduleBackbone(spec, `${who} (${path})`) : BACKBONES.build(spec, path);
}

/**
 * The backbone's config, for an algorithm that builds a second copy of it (a momentum target, a
 * teacher): a module cannot be copied, so it is an error naming what needs the config.
 */
export function backboneConfig(spec: BackboneSpec, path: string, who: string, why: string): BackboneConfig {
  if (spec instanceof nn.Module)
    throw new TypeError(`${who} (${path}): ${why} is built from the backbone's config; pass a backbone config, not a module`);
  return spec;
}

/** Options every algorithm has: spread into an algorithm's `z.strictObject`. */
export const algorithmShape = {
  /** The backbone (`{ type: 'ResNet', depth: 50 }`), or a ready module (see `BackboneSpec`). */
  backbone: backboneSpec(),
  dataPreprocessor: dataPreprocessorSchema(),
};
export type AlgorithmOptions = z.input<z.ZodObject<typeof algorithmShape>>;

/** Options of a backbone → neck → head algorithm. */
export const baseModelShape = {
  ...algorithmShape,
  /** The projector (and more) between backbone and head. */
  neck: typed<NeckConfig>(),
  /** The head that turns neck outputs into the loss. */
  head: typed<HeadConfig>(),
};
export type BaseModelOptions = z.input<z.ZodObject<typeof baseModelShape>>;

export abstract class Algorithm extends nn.Module<[AlgorithmInput, TrainProgress?], LossOutput> {
  readonly backbone: Backbone;
  /** The per-channel statistics images are normalised with (evaluation encodes with them too). */
  readonly normalization: ImageNormalization;

  /** Builds the backbone from `o.backbone`; `path` locates the config in errors (`model`). */
  constructor(o: AlgorithmOptions, path = 'model') {
    super();
    const pre = o.dataPreprocessor ?? {};
    this.normalization = { mean: pre.mean ?? IMAGENET_MEAN, std: pre.std ?? IMAGENET_STD };
    checkNormalization(this.normalization, 'dataPreprocessor');
    this.backbone = this.registerModule('backbone', buildBackbone(o.backbone, `${path}.backbone`, this.constructor.name));
  }

  /** uint8 or float `(N, C, H, W)` → float32 `(x − mean) / std` per channel (grey repeated to RGB for 3-channel stats). */
  preprocess(x: Tensor): Tensor {
    return normalizeImages(x, this.normalization);
  }

  /** The training loss of one batch (views as the loader makes them). */
  abstract loss(batch: AlgorithmInput, progress?: TrainProgress): LossOutput;

  /** The loss (what DistributedDataParallel and the runner call). */
  override forward(batch: AlgorithmInput, progress?: TrainProgress): LossOutput {
    return this.loss(batch, progress);
  }

  /** Backbone features of preprocessed images for evaluation: the backbone's `outIndices` outputs. */
  extractFeat(images: Tensor): Tensor[] {
    return this.backbone.forward(images);
  }

  /**
   * Tensors outside the module's state dict that a resumed run needs (queues are buffers and so
   * already in the state dict; this is for plain numbers such as a DINO centre's warm-up step).
   */
  extraState(): Record<string, number> {
    return {};
  }

  loadExtraState(_state: Record<string, number>): void {}

  /**
   * The training set's size, given by the runner before it resumes (memory banks have one row per
   * image: NPID, ODC). Default: nothing to size.
   */
  setDatasetLength(_n: number): void {}
}

/** A class an algorithm needs a part to be (`ContrastiveHead`). */
export type PartClass<T> = abstract new (...args: never[]) => T;

/** The classes a `BaseModel` checks its neck and head against. */
export interface BaseModelParts<H extends LossModule, N extends Neck> {
  head: PartClass<H>;
  /** Default: any neck. */
  neck?: PartClass<N>;
}

/**
 * Backbone → neck → head, built from the config in that order (MMSelfSup's state-dict keys
 * `backbone.*`, `neck.*`, `head.*`). `H` and `N` are the head and neck classes the algorithm needs.
 */
export abstract class BaseModel<H extends LossModule = LossModule, N extends Neck = FeatureNeck> extends Algorithm {
  readonly neck: N;
  readonly head: H;
  private readonly neckClass: PartClass<N> | undefined;

  constructor(o: BaseModelOptions, path: string, parts: BaseModelParts<H, N>) {
    super(o, path);
    this.neckClass = parts.neck;
    this.neck = this.registerModule('neck', this.buildNeck(o.neck, path));
    if (this.backbone instanceof ModuleBackbone) checkNeckInput(this.backbone, o.neck, path);
    this.head = this.registerModule('head', HEADS.buildAs(o.head, `${path}.head`, parts.head, this.constructor.name));
  }

  private buildNeck(cfg: TypedConfig, path: string): N {
    const cls = this.neckClass;
    if (cls) return NECKS.buildAs(cfg, `${path}.neck`, cls, this.constructor.name);
    // Without a class to check against, N is the default, a feature neck.
    return buildFeatureNeck(cfg, `${path}.neck`) as N;
  }

  /** Backbone then neck: the neck's outputs for preprocessed images. */
  encode(this: BaseModel<H, FeatureNeck>, x: Tensor): Tensor[] {
    return this.neck.forward(this.backbone.forward(x));
  }

  /**
   * A momentum target of backbone + neck: a second copy built from the same configs (so it has
   * the online network's structure), then made the online network's copy.
   */
  protected momentumTarget(
    this: BaseModel<H, N & FeatureNeck>,
    o: BaseModelOptions,
    path: string,
    opts: MomentumTargetOptions,
  ): MomentumTarget<N & FeatureNeck> {
    const cfg = backboneConfig(o.backbone, `${path}.backbone`, this.constructor.name, 'the momentum target');
    const copy = new Encoder(BACKBONES.build(cfg, `${path}.backbone`), this.buildNeck(o.neck, path));
    return new MomentumTarget(new Encoder(this.backbone, this.neck), copy, opts);
  }
}

/**
 * A module backbone's declared channels must be what the neck takes (`inChannels`, where the neck
 * has one): the mismatch is named here rather than as a matmul shape error in the first step.
 */
function checkNeckInput(backbone: ModuleBackbone, neck: TypedConfig, path: string): void {
  const inChannels = (neck as { inChannels?: unknown }).inChannels;
  if (typeof inChannels === 'number' && inChannels !== backbone.numFeatures)
    throw new ConfigError(
      `${path}.neck.inChannels`,
      `the backbone module ${backbone.inner.constructor.name} declares ${backbone.numFeatures} output channels, the neck takes ${inChannels}`,
    );
}

/** Throws unless the batch has at least `n` views. */
export function needViews(views: unknown[], n: number, who: string): void {
  if (views.length < n) throw new RangeError(`${who}: expected at least ${n} views per sample, got ${views.length}`);
}
