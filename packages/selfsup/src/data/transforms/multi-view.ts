/**
 * MMSelfSup's MultiView: several augmented views of each image, one pipeline per group of views,
 * on `(C, H, W)` uint8 tensors or decoded images, one sample at a time or a batch at once (the
 * batched paths give the same pixels with far fewer libtorch calls). Views are `(N, C, H, W)`.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import type { Image } from '../image.js';
import { imageToTensor, pilFilterOf } from './functional.js';
import type { PatchMask } from './masks.js';
import { Compose, RandomResizedCrop, type Transform } from './random.js';
import { pilResizedCropInto } from './pil-resample.js';
import { calibrate, resizedCropInto } from './resample.js';

/** Crops `box` of an image and resizes it to `oh × ow` into `buf` at `at` as `(C, oh, ow)` bytes. */
type CropInto = (img: Image, box: [number, number, number, number], oh: number, ow: number, buf: Uint8Array, at: number) => void;
import { Rng } from './rng.js';
import {
  isMaskGenerator,
  isMultiOutput,
  isTransform,
  type MaskGenerator,
  type MultiOutputTransform,
  type PipelineStep,
} from './steps.js';

/** One pipeline split into what runs per image, what runs batched, and its last steps. */
interface Stage {
  /** Every image transform, in order. */
  transforms: Compose;
  /** Per image: up to the last transform without a batched form (the crop). */
  head: Compose;
  /** Batched with per-image parameters: the rest. */
  tail: Compose;
  /** The tail's leading steps with a JS form (flip, jitter, greyscale, …), run per image in JS on the loader's path… */
  bytesTail: Transform[];
  /** …and what follows them, batched. */
  afterBytes: Compose;
  multi: MultiOutputTransform | null;
  mask: MaskGenerator | null;
}

function parseStage(steps: PipelineStep[], i: number): Stage {
  const transforms: Transform[] = [];
  let multi: MultiOutputTransform | null = null;
  let mask: MaskGenerator | null = null;
  steps.forEach((s, k) => {
    if (mask) throw new RangeError(`MultiView: pipeline ${i} step ${k} comes after the mask generator, which must be last`);
    if (isMaskGenerator(s)) mask = s;
    else if (multi)
      throw new RangeError(
        `MultiView: pipeline ${i} step ${k} comes after a multi-output step, which must be the last image step`,
      );
    else if (isMultiOutput(s)) multi = s;
    else if (isTransform(s)) transforms.push(s);
    else throw new TypeError(`MultiView: pipeline ${i} step ${k} is not a transform, multi-output step or mask generator`);
  });
  let split = transforms.length;
  while (split > 0 && transforms[split - 1].applyBatch !== undefined) split--;
  let bytes = split;
  while (bytes < transforms.length && transforms[bytes].applyBytes !== undefined) bytes++;
  return {
    transforms: new Compose(transforms),
    head: new Compose(transforms.slice(0, split)),
    tail: new Compose(transforms.slice(split)),
    bytesTail: transforms.slice(split, bytes),
    afterBytes: new Compose(transforms.slice(bytes)),
    multi,
    mask,
  };
}

/** A stage's per-image results, stacked results, or stacked results that already went through `bytesTail`. */
type Heads = Tensor[] | Tensor | { batch: Tensor };

/** One sample's views and the masks of the pipelines that end in a mask generator. */
export interface SampleViews {
  views: Tensor[];
  masks: PatchMask[];
}

/** A tensor's bytes and shape (bool masks as bytes). */
export interface PackedView {
  data: Uint8Array;
  shape: number[];
}

/** `BatchViews` as bytes, what crosses between threads. */
export interface PackedViews {
  views: PackedView[];
  masks: PackedView[];
}

function packTensor(t: Tensor): PackedView {
  return { data: (t.dtype === 'bool' ? t.to('uint8') : t).contiguous().toBytes(), shape: t.shape };
}

/**
 * A batch's views stopped after each pipeline's per-image crop (`applyImagesDeferred`): one
 * `(N, C, h, w)` uint8 batch per pipeline application (a multi-output step counts once) and each
 * sample's stream position there. `finishDeferred` runs the rest, on whatever device the crops are.
 */
export interface DeferredViews {
  heads: PackedView[];
  /** `positions[v][j]`: sample j's stream after application v's crop (`Rng.position`). */
  positions: number[][];
}

/** A batch's views, one `(N, C, H, W)` tensor each, and masks, one `(N, H', W')` bool tensor each. */
export interface BatchViews {
  views: Tensor[];
  masks: Tensor[];
}

function stackSame(xs: Tensor[], what: string): Tensor {
  const sizes = new Set(xs.map((h) => h.shape.join('×')));
  if (sizes.size > 1)
    throw new Error(`MultiView: ${what} has images of different sizes (${[...sizes].join(', ')}): add a crop or resize`);
  return torch.stack(xs);
}

/**
 * Applies pipeline i `numViews[i]` times to the same image (MMSelfSup's MultiView): SimCLR's 2 × one
 * pipeline, BYOL's 1 + 1 asymmetric views, SwAV's 2 × 224 + 6 × 96. Each application draws from its
 * own stream. A pipeline may end in a multi-output step (each output is a view: BEiT's two sizes,
 * RelativeLoc's patches) and then a mask generator (one mask per application, drawn after the
 * image steps from the same stream).
 */
export class MultiView {
  /** Each pipeline's image transforms. */
  readonly pipelines: Compose[];
  readonly numViews: number[];
  private readonly stages: Stage[];

  constructor(pipelines: PipelineStep[][], numViews: number | number[]) {
    this.stages = pipelines.map(parseStage);
    this.pipelines = this.stages.map((s) => s.transforms);
    this.numViews = typeof numViews === 'number' ? [numViews] : numViews;
    if (this.numViews.length !== this.pipelines.length) {
      throw new RangeError(`MultiView: ${this.pipelines.length} pipelines but ${this.numViews.length} view counts`);
    }
  }

  /** Views per sample (a multi-output step counts its outputs). */
  get totalViews(): number {
    return this.stages.reduce((a, s, i) => a + this.numViews[i] * (s.multi?.outputs ?? 1), 0);
  }

  /** Pipeline applications per sample (a multi-output step counts once): the heads of `applyImagesDeferred`. */
  get totalApplications(): number {
    return this.numViews.reduce((a, n) => a + n, 0);
  }

  /**
   * Why the views cannot be split into a per-image crop and a batched rest (`applyImagesDeferred`),
   * or null when they can: every pipeline's only per-image step must be a RandomResizedCrop (or
   * none, for images of one size), so that what crosses to the training thread is one fixed-size
   * batch per view.
   */
  get notDeferrable(): string | null {
    for (const [i, s] of this.stages.entries()) {
      const head = s.head.transforms;
      if (head.length === 0 || (head.length === 1 && head[0] instanceof RandomResizedCrop)) continue;
      const names = head.map((t) => t.constructor.name).join(', ');
      return `pipeline ${i}'s per-image steps are ${names}: only a RandomResizedCrop (or no per-image step) can run before the batch`;
    }
    return null;
  }

  /**
   * The first half of `applyImagesWithMasks`: each view's per-image crop only (in JS memory where
   * `imagePlan` allows), with each sample's stream position after it. `finishDeferred` on those
   * crops, wherever they are (a GPU), gives the same views and masks: the rest (flip, jitter,
   * greyscale, blur, solarize, multi-output steps, masks) draws from the same streams in the same
   * order.
   */
  applyImagesDeferred(images: Image[], seed: number, epoch: number, idxs: number[]): DeferredViews {
    const why = this.notDeferrable;
    if (why) throw new Error(`MultiView: cannot augment on the device: ${why}`);
    const plans = this.stages.map((s) => this.imagePlan(s, images));
    return torch.tidy(() => {
      const inputs = planInputs(images, plans);
      const heads: PackedView[] = [];
      const positions: number[][] = [];
      let view = 0;
      this.stages.forEach((s, i) => {
        const { crop, js } = plans[i];
        for (let k = 0; k < this.numViews[i]; k++, view++) {
          const rngs = idxs.map((idx) => Rng.forSample(seed, epoch, idx, view));
          if (crop && js) {
            // Crops made in JS memory cross as those bytes, with no libtorch copy.
            const { data, shape } = this.bytesView(s, crop, js, images, rngs, false);
            heads.push({ data, shape });
          } else {
            const v = view;
            heads.push(
              torch.tidy(() => {
                const h = this.imageHeads(s, plans[i], images, inputs, rngs, false) as Tensor | Tensor[];
                return packTensor(Array.isArray(h) ? stackSame(h, `view ${v}`) : h);
              }),
            );
          }
          positions.push(rngs.map((r) => r.position));
        }
      });
      return { heads, positions };
    });
  }

  /**
   * The second half: the views and masks of `applyImagesDeferred`'s crops `heads` (one
   * `(N, C, h, w)` uint8 batch per application, on any device; the results are on the same
   * device, masks on the CPU). Takes the heads over: each is returned as a view or freed.
   */
  finishDeferred(heads: Tensor[], positions: number[][]): BatchViews {
    if (heads.length !== this.totalApplications || positions.length !== heads.length)
      throw new RangeError(
        `MultiView.finishDeferred: ${heads.length} crop batches and ${positions.length} position lists for ${this.totalApplications} pipeline applications`,
      );
    heads.forEach((h, v) => {
      if (h.dim() !== 4 || h.shape[0] !== positions[v].length)
        throw new RangeError(
          `MultiView.finishDeferred: crop batch ${v} is ${JSON.stringify(h.shape)} for ${positions[v].length} samples`,
        );
    });
    const out = this.run(
      (v) => positions[v].map((p) => Rng.resume(p)),
      (_s, _rngs, v) => heads[v],
    );
    for (const h of heads) if (!out.views.includes(h)) h.dispose();
    return out;
  }

  /** Masks per sample. */
  get totalMasks(): number {
    return this.stages.reduce((a, s, i) => a + (s.mask ? this.numViews[i] : 0), 0);
  }

  /** The views of one sample; `(seed, epoch, idx)` fix every random choice. */
  apply(img: Tensor, seed: number, epoch: number, idx: number): Tensor[] {
    return this.applyWithMasks(img, seed, epoch, idx).views;
  }

  /** The views and masks of one sample. */
  applyWithMasks(img: Tensor, seed: number, epoch: number, idx: number): SampleViews {
    const views: Tensor[] = [];
    const masks: PatchMask[] = [];
    let view = 0;
    this.stages.forEach((s, i) => {
      for (let k = 0; k < this.numViews[i]; k++) {
        const rng = Rng.forSample(seed, epoch, idx, view++);
        const x = s.transforms.apply(img, rng);
        if (s.multi) {
          const m = s.multi;
          views.push(...torch.tidy(() => m.applyMulti(x, rng)));
          x.dispose();
        } else views.push(x);
        if (s.mask) masks.push(s.mask.generate(rng));
      }
    });
    return { views, masks };
  }

  /** The views of a batch of samples, one `(N, C, H, W)` tensor per view (see `applyBatchWithMasks`). */
  applyBatch(imgs: Tensor[], seed: number, epoch: number, idxs: number[]): Tensor[] {
    const { views, masks } = this.applyBatchWithMasks(imgs, seed, epoch, idxs);
    for (const m of masks) m.dispose();
    return views;
  }

  /**
   * The views and masks of a batch, equal to stacking `applyWithMasks`'s. Each pipeline runs per
   * image up to its last step without a batched form (the crop), then the rest (flip, jitter,
   * greyscale, blur, solarize) runs once on the stacked batch with per-image parameters: far fewer
   * libtorch calls per image. Images that still differ in size there go on one by one.
   */
  applyBatchWithMasks(imgs: Tensor[], seed: number, epoch: number, idxs: number[]): BatchViews {
    return this.run(sampleStreams(seed, epoch, idxs), (s, rngs) => imgs.map((img, j) => s.head.apply(img, rngs[j])));
  }

  /**
   * `applyBatchWithMasks` for decoded `(H, W, C)` images, what the loader holds. A pipeline whose
   * only per-image step is a RandomResizedCrop (the usual case) crops and resizes without a
   * libtorch call per image (see `imagePlan`): in JS memory with Pillow's or libtorch's arithmetic,
   * else from one float copy of the batch with all crops rounded at once. Either way the pixels
   * equal the per-image path's.
   */
  applyImagesWithMasks(images: Image[], seed: number, epoch: number, idxs: number[]): BatchViews {
    return torch.tidy(() => {
      const plans = this.stages.map((s) => this.imagePlan(s, images));
      const inputs = planInputs(images, plans);
      const out = this.run(sampleStreams(seed, epoch, idxs), (s, rngs) => {
        const i = this.stages.indexOf(s);
        return this.imageHeads(s, plans[i], images, inputs, rngs, true);
      });
      return torch.keep(out);
    });
  }

  /**
   * `applyImagesWithMasks` as bytes and shapes, what the loader's worker threads send: when every
   * view is computed wholly in JS memory (a Pillow or reproducible crop, then only per-pixel steps
   * with a bytes form, no multi-output step or mask: SimCLR's, MoCo's, BYOL's pipelines), the views
   * are those bytes, with no libtorch copy in between; otherwise the tensors' bytes.
   */
  applyImagesPacked(images: Image[], seed: number, epoch: number, idxs: number[]): PackedViews {
    const plans = this.stages.map((s) => this.imagePlan(s, images));
    const wholly = this.stages.every(
      (s, i) =>
        plans[i].js !== null &&
        s.afterBytes.transforms.length === 0 &&
        s.multi === null &&
        s.mask === null &&
        (images[0].channels === 3 || s.bytesTail.length === 0),
    );
    if (!wholly) {
      return torch.tidy(() => {
        const { views, masks } = this.applyImagesWithMasks(images, seed, epoch, idxs);
        return { views: views.map(packTensor), masks: masks.map(packTensor) };
      });
    }
    const views: PackedView[] = [];
    let view = 0;
    this.stages.forEach((s, i) => {
      const { crop, js } = plans[i];
      for (let k = 0; k < this.numViews[i]; k++, view++) {
        const rngs = idxs.map((idx) => Rng.forSample(seed, epoch, idx, view));
        const { data, shape } = this.bytesView(s, crop as RandomResizedCrop, js as CropInto, images, rngs, true);
        views.push({ data, shape });
      }
    });
    return { views, masks: [] };
  }

  /**
   * How a stage's per-image step runs on decoded images: `crop` when it is a lone RandomResizedCrop
   * (null: per image on tensors), and `js` when that crop runs in JS memory (Pillow's algorithm, or
   * libtorch's antialiased kernels where `calibrate` found them reproducible; null: from a float copy
   * of the batch, all crops rounded at once). Either way the pixels equal the per-image path's.
   */
  private imagePlan(s: Stage, images: Image[]): ImagePlan {
    const oneChannelCount = new Set(images.map((i) => i.channels)).size === 1;
    const t = s.head.transforms.length === 1 ? s.head.transforms[0] : null;
    if (!(t instanceof RandomResizedCrop)) return { crop: null, js: null };
    const mode = t.o.interpolation ?? 'bilinear';
    const pil = pilFilterOf(mode, t.o.backend);
    // Pillow's resampling has no float path: mixed grey and colour images go one by one.
    if (pil && !oneChannelCount) return { crop: null, js: null };
    if (pil) return { crop: t, js: (img, box, oh, ow, buf, at) => pilResizedCropInto(img, box, oh, ow, pil, buf, at) };
    if (mode === 'nearest' || mode === 'lanczos' || !(t.o.antialias ?? true)) return { crop: t, js: null };
    const sums = oneChannelCount ? calibrate(mode) : null;
    return { crop: t, js: sums ? (img, box, oh, ow, buf, at) => resizedCropInto(img, box, oh, ow, mode, sums, buf, at) : null };
  }

  /**
   * A stage's per-image results on decoded images, run as `plan` says: one tensor per image (the
   * head on tensors), the crops from a JS-memory crop (with `withTail`, after the tail's leading JS
   * steps: `{ batch }`), or the float crops rounded together (one by one when grey and colour mix,
   * to be refused as differing sizes).
   */
  private imageHeads(s: Stage, plan: ImagePlan, images: Image[], inputs: PlanInputs, rngs: Rng[], withTail: boolean): Heads {
    const { crop, js } = plan;
    if (!crop) return inputs.u8.map((img, j) => s.head.apply(img, rngs[j]));
    if (js) {
      const { data, shape, ranTail } = this.bytesView(s, crop, js, images, rngs, withTail);
      const batch = torch.tensor(data, { shape });
      return ranTail ? { batch } : batch;
    }
    const crops = inputs.f32.map((f, j) => crop.applyFloat(f, rngs[j]));
    if (new Set(crops.map((x) => x.shape[1])).size > 1) return crops.map((x) => crop.toUint8(x).squeeze(0));
    return crop.toUint8(torch.cat(crops));
  }

  /**
   * One view of a batch in JS memory: each image cropped and resized into one `(N, C, oh, ow)` byte
   * block, then, for 3-channel images and `withTail`, the tail's leading per-pixel steps image by
   * image (`ranTail`).
   */
  private bytesView(
    s: Stage,
    crop: RandomResizedCrop,
    js: CropInto,
    images: Image[],
    rngs: Rng[],
    withTail: boolean,
  ): { data: Uint8Array; shape: number[]; ranTail: boolean } {
    const [oh, ow] = crop.size;
    const c = images[0].channels;
    const size = c * oh * ow;
    // Every byte is written below: no zero fill.
    const data = new Uint8Array(Buffer.allocUnsafeSlow(images.length * size).buffer, 0, images.length * size);
    const jsTail = withTail && c === 3 ? s.bytesTail : [];
    images.forEach((img, j) => {
      const box = crop.getParams(img.height, img.width, rngs[j]);
      js(img, box, oh, ow, data, j * size);
      const planes = { data, offset: j * size, c, h: oh, w: ow };
      for (const t of jsTail) t.applyBytes?.(planes, rngs[j]);
    });
    return { data, shape: [images.length, c, oh, ow], ranTail: jsTail.length > 0 };
  }

  /**
   * Every view of a batch: `rngsOf(v)` gives application v's per-sample streams and `heads` a
   * stage's per-image results (or them already stacked), then the batched tail, the multi-output
   * step and the masks follow.
   */
  private run(rngsOf: (view: number) => Rng[], heads: (s: Stage, rngs: Rng[], view: number) => Heads): BatchViews {
    const views: Tensor[] = [];
    const masks: Tensor[] = [];
    let view = 0;
    this.stages.forEach((s, i) => {
      for (let k = 0; k < this.numViews[i]; k++, view++) {
        const v = view;
        const out = torch.tidy(() => {
          const rngs = rngsOf(v);
          const got = heads(s, rngs, v);
          const h = got instanceof torch.Tensor || Array.isArray(got) ? got : got.batch;
          // A head that also ran the tail's JS steps leaves only what follows them.
          const tail = got instanceof torch.Tensor || Array.isArray(got) ? s.tail : s.afterBytes;
          const same = !Array.isArray(h) || new Set(h.map((x) => x.shape.join('×'))).size <= 1;
          const stacked = same ? (Array.isArray(h) ? torch.stack(h) : h) : null;
          // Every head result is a fresh tensor of this scope, or a crop batch `finishDeferred` took
          // over: an empty tail passes it on uncopied.
          const batch = stacked && tail.transforms.length > 0 ? tail.applyBatch(stacked, rngs) : stacked;
          const each = batch ? null : (h as Tensor[]).map((x, j) => s.tail.apply(x, rngs[j]));
          let vs: Tensor[];
          if (!s.multi) vs = [batch ?? stackSame(each as Tensor[], `view ${v}`)];
          else if (batch && s.multi.applyMultiBatch) vs = s.multi.applyMultiBatch(batch, rngs);
          else {
            const m = s.multi;
            const per = (batch ? batch.unbind(0) : (each as Tensor[])).map((x, j) => m.applyMulti(x, rngs[j]));
            vs = Array.from({ length: m.outputs }, (_, o) =>
              stackSame(
                per.map((p) => p[o]),
                `view ${v} output ${o}`,
              ),
            );
          }
          const ms = s.mask ? [maskBatch(rngs.map((r) => (s.mask as MaskGenerator).generate(r)))] : [];
          return { vs, ms };
        });
        views.push(...out.vs);
        masks.push(...out.ms);
      }
    });
    return { views, masks };
  }
}

/** How a stage's per-image step runs on decoded images (see `MultiView.imagePlan`). */
interface ImagePlan {
  crop: RandomResizedCrop | null;
  js: CropInto | null;
}

/** What the plans of a batch read, made once before the per-view scopes and shared by every view. */
interface PlanInputs {
  /** Float copies, for crops that run in libtorch. */
  f32: Tensor[];
  /** uint8 tensors, for heads that run per image on tensors. */
  u8: Tensor[];
}

function planInputs(images: Image[], plans: ImagePlan[]): PlanInputs {
  return {
    f32: plans.some((p) => p.crop !== null && p.js === null) ? floatImages(images) : [],
    u8: plans.some((p) => p.crop === null) ? images.map(imageToTensor) : [],
  };
}

/** Application v's streams for the samples `idxs` (each sample's own, see `Rng.forSample`). */
const sampleStreams =
  (seed: number, epoch: number, idxs: number[]) =>
  (v: number): Rng[] =>
    idxs.map((idx) => Rng.forSample(seed, epoch, idx, v));

/**
 * `(1, C, H, W)` float32 copies of `(H, W, C)` images: images of one size go to libtorch as one
 * block (one copy, one permute, one conversion) and are then sliced.
 */
function floatImages(images: Image[]): Tensor[] {
  const groups = new Map<string, number[]>();
  images.forEach((img, j) => {
    const key = `${img.height}×${img.width}×${img.channels}`;
    groups.set(key, [...(groups.get(key) ?? []), j]);
  });
  const out: Tensor[] = new Array(images.length);
  for (const members of groups.values()) {
    const { height, width, channels } = images[members[0]];
    const size = height * width * channels;
    const block = new Uint8Array(members.length * size);
    for (const [k, j] of members.entries()) block.set(images[j].data, k * size);
    const f = torch
      .tensor(block, { shape: [members.length, height, width, channels] })
      .permute(0, 3, 1, 2)
      .float()
      .contiguous();
    members.forEach((j, k) => {
      out[j] = f.narrow(0, k, 1);
    });
  }
  return out;
}

/** Same-size patch masks → one `(N, H', W')` bool tensor. */
export function maskBatch(ms: PatchMask[]): Tensor {
  const { height, width } = ms[0];
  const data = new Uint8Array(ms.length * height * width);
  ms.forEach((m, i) => {
    if (m.height !== height || m.width !== width) throw new Error('maskBatch: masks of different sizes');
    data.set(m.data, i * height * width);
  });
  return torch.tidy(() => torch.tensor(data, { shape: [ms.length, height, width] }).to('bool'));
}
