/**
 * Batch augmentations of supervised fine-tuning that mix images and their labels, with
 * mmpretrain's names and semantics (`Mixup`, `CutMix`, `RandomBatchAugment`) and timm's soft
 * targets (MAE's and BEiT's fine-tuning: Mixup α = 0.8 and CutMix α = 1.0, one of them per batch,
 * label smoothing 0.1):
 *
 * - Mixup (Zhang et al. 2018): λ ~ Beta(α, α); images and one-hot scores become
 *   λ·x + (1 − λ)·x[perm];
 * - CutMix (Yun et al. 2019): a box of side √(1 − λ) of the image's, centred uniformly and clipped
 *   to the image, is pasted from x[perm]; λ becomes 1 − box area / image area (`correctLam`);
 * - RandomBatchAugment: one of them per batch, evenly or with given probabilities (the remainder:
 *   none), as timm's `switch_prob` and `mix_prob` choose.
 *
 * Images are `(N, C, H, W)` floats (mixing commutes with per-channel normalisation: both are
 * affine), scores `(N, numClasses)`. Every draw comes from the `Rng` handed in.
 */
import * as torch from '@selfsup/torch';
import { F, type Tensor } from '@selfsup/torch';
import type { Rng } from '../data/transforms/rng.js';

/** One batch's mix: λ (for the scores), the partner of each image, and CutMix's box `[top, bottom, left, right)`. */
export interface MixParams {
  kind: 'mixup' | 'cutmix';
  lam: number;
  index: number[];
  box?: [number, number, number, number];
}

/** A batch augmentation: draws a batch's mix. */
export interface BatchMix {
  sample(rng: Rng, n: number, height: number, width: number): MixParams;
}

function checkAlpha(alpha: number, who: string): void {
  if (!(alpha > 0 && Number.isFinite(alpha))) throw new RangeError(`${who}: alpha must be a positive number, got ${alpha}`);
}

/** Mixup: λ ~ Beta(α, α), partners a random permutation (mmpretrain's `torch.randperm`). */
export class Mixup implements BatchMix {
  constructor(readonly alpha: number) {
    checkAlpha(alpha, 'Mixup');
  }
  sample(rng: Rng, n: number): MixParams {
    const lam = rng.beta(this.alpha, this.alpha);
    return { kind: 'mixup', lam, index: rng.permutation(n) };
  }
}

export interface CutMixOptions {
  /** `[min, max]` box side as fractions of the image's: the box is drawn from these and λ ignored. */
  cutmixMinmax?: [number, number];
  /** λ from the clipped box's area (default true; always with cutmixMinmax). */
  correctLam?: boolean;
}

/** CutMix: a box pasted from a random partner, λ from its area (mmpretrain's and timm's `rand_bbox`). */
export class CutMix implements BatchMix {
  constructor(
    readonly alpha: number,
    readonly o: CutMixOptions = {},
  ) {
    checkAlpha(alpha, 'CutMix');
    const m = o.cutmixMinmax;
    if (m && !(m.length === 2 && m[0] >= 0 && m[0] < m[1] && m[1] <= 1))
      throw new RangeError(`CutMix: cutmixMinmax must be [min, max] with 0 ≤ min < max ≤ 1, got ${JSON.stringify(m)}`);
  }

  /** The box `[top, bottom, left, right)` for λ on an `h × w` image. */
  box(rng: Rng, lam: number, h: number, w: number): [number, number, number, number] {
    const m = this.o.cutmixMinmax;
    if (m) {
      const ch = rng.randint(Math.trunc(h * m[0]), Math.trunc(h * m[1]));
      const cw = rng.randint(Math.trunc(w * m[0]), Math.trunc(w * m[1]));
      const top = rng.randint(0, h - ch);
      const left = rng.randint(0, w - cw);
      return [top, top + ch, left, left + cw];
    }
    const ratio = Math.sqrt(1 - lam);
    const half = [Math.trunc(h * ratio) >> 1, Math.trunc(w * ratio) >> 1];
    const cy = rng.randint(0, h);
    const cx = rng.randint(0, w);
    const clip = (v: number, size: number) => Math.min(Math.max(v, 0), size);
    return [clip(cy - half[0], h), clip(cy + half[0], h), clip(cx - half[1], w), clip(cx + half[1], w)];
  }

  sample(rng: Rng, n: number, h: number, w: number): MixParams {
    let lam = rng.beta(this.alpha, this.alpha);
    const index = rng.permutation(n);
    const box = this.box(rng, lam, h, w);
    if ((this.o.correctLam ?? true) || this.o.cutmixMinmax) lam = 1 - ((box[1] - box[0]) * (box[3] - box[2])) / (h * w);
    return { kind: 'cutmix', lam, index, box };
  }
}

/** mmpretrain's RandomBatchAugment: one augmentation per batch, evenly or by `probs` (the rest: none). */
export class RandomBatchAugment {
  readonly probs: number[] | null;
  constructor(
    readonly augments: BatchMix[],
    probs?: number[],
  ) {
    if (augments.length === 0) throw new RangeError('RandomBatchAugment: no augmentations');
    if (probs) {
      if (probs.length !== augments.length)
        throw new RangeError(`RandomBatchAugment: ${augments.length} augmentations but ${probs.length} probs`);
      const total = probs.reduce((a, b) => a + b, 0);
      if (!probs.every((p) => p >= 0) || total > 1 + 1e-12)
        throw new RangeError(`RandomBatchAugment: probs must be non-negative and sum to at most 1, got ${JSON.stringify(probs)}`);
    }
    this.probs = probs ?? null;
  }

  /** The batch's mix, or null when the draw falls on "none". */
  sample(rng: Rng, n: number, h: number, w: number): MixParams | null {
    const u = rng.random();
    let pick = -1;
    if (!this.probs) pick = Math.min(Math.floor(u * this.augments.length), this.augments.length - 1);
    else {
      let acc = 0;
      for (let i = 0; i < this.probs.length && pick < 0; i++) {
        acc += this.probs[i];
        if (u < acc) pick = i;
      }
    }
    return pick < 0 ? null : this.augments[pick].sample(rng, n, h, w);
  }
}

/**
 * Mixes images `(N, C, H, W)` (float) and scores `(N, K)` with `p` (new tensors): Mixup blends
 * both, CutMix pastes the box and blends the scores with its λ.
 */
export function applyMix(images: Tensor, scores: Tensor, p: MixParams): { images: Tensor; scores: Tensor } {
  const n = images.shape[0];
  if (images.dim() !== 4 || !images.isFloatingPoint())
    throw new TypeError(`applyMix: expected float (N, C, H, W) images, got ${images.dtype} ${JSON.stringify(images.shape)}`);
  if (scores.dim() !== 2 || scores.shape[0] !== n)
    throw new RangeError(`applyMix: expected (N, K) scores for ${n} images, got ${JSON.stringify(scores.shape)}`);
  if (p.index.length !== n) throw new RangeError(`applyMix: ${p.index.length} partners for ${n} images`);
  return torch.tidy(() => {
    const idx = torch.tensor(p.index, { dtype: 'int64', device: images.device });
    const mixedScores = scores.mul(p.lam).add(scores.indexSelect(0, idx).mul(1 - p.lam));
    if (p.kind === 'mixup')
      return { images: images.mul(p.lam).add(images.indexSelect(0, idx).mul(1 - p.lam)), scores: mixedScores };
    const [top, bottom, left, right] = p.box ?? [0, 0, 0, 0];
    const out = images.clone();
    if (bottom > top && right > left) {
      const patch = images
        .indexSelect(0, idx)
        .narrow(2, top, bottom - top)
        .narrow(3, left, right - left);
      out
        .narrow(2, top, bottom - top)
        .narrow(3, left, right - left)
        .copy_(patch);
    }
    return { images: out, scores: mixedScores };
  });
}

/**
 * One-hot scores `(N, K)` of labels `(N)` with timm's label smoothing: `1 − ε + ε/K` on the label,
 * `ε/K` elsewhere (mmpretrain's `LabelSmoothLoss` mode 'original').
 */
export function smoothOneHot(labels: Tensor, numClasses: number, smoothing = 0): Tensor {
  if (!(smoothing >= 0 && smoothing < 1)) throw new RangeError(`smoothOneHot: smoothing must be in [0, 1), got ${smoothing}`);
  return torch.tidy(() => {
    const off = smoothing / numClasses;
    return F.oneHot(labels.long(), numClasses)
      .to('float32')
      .mul(1 - smoothing)
      .add(off);
  });
}

/** timm's `SoftTargetCrossEntropy`: the batch mean of −Σ_k target_k · log softmax(logits)_k. */
export function softTargetCrossEntropy(logits: Tensor, target: Tensor): Tensor {
  if (logits.dim() !== 2 || target.shape.join() !== logits.shape.join())
    throw new RangeError(
      `softTargetCrossEntropy: logits ${JSON.stringify(logits.shape)} and target ${JSON.stringify(target.shape)} must both be (N, K)`,
    );
  return torch.tidy(() => target.mul(F.logSoftmax(logits, -1)).sum(-1).neg().mean());
}
