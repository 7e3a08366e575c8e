/**
 * End-to-end fine-tuning of a pre-trained backbone with a linear head on labelled images, the
 * second benchmark of self-supervised representations (He et al. 2020, MoCo; Bao et al. 2022,
 * BEiT; He et al. 2022, MAE), with MMSelfSup's recipe parts:
 *
 * - AdamW (Loshchilov & Hutter 2019) or SGD with momentum;
 * - layer-wise learning-rate decay for ViTs (Clark et al. 2020, ELECTRA; BEiT; MAE): the head at
 *   the base lr, block i at rate^(L − i), the patch embedding at rate^(L + 1);
 * - no weight decay on biases, norms, `pos_embed` and `cls_token`;
 * - a linear warm-up from 1e-4·lr then a cosine to `minLr`, both per iteration (MMSelfSup's
 *   `LinearLR` + `CosineAnnealingLR` with `convert_to_iter_based`);
 * - cross-entropy with optional label smoothing (Szegedy et al. 2016) and gradient clipping;
 * - Mixup and CutMix per batch (batch-augments.ts; timm's `Mixup` with `switch_prob`, mmpretrain's
 *   `RandomBatchAugment`) with soft-target cross-entropy, label smoothing folded into the targets;
 * - a model EMA (ema.ts, MMEngine's `EMAHook`): evaluation, and the returned model, use the
 *   averaged weights;
 * - top-1/top-5 on a validation loader at the end.
 *
 * Images come from the loader as uint8 `(N, C, H, W)`; the first view of each batch is used.
 * MAE's ViT-B recipe (He et al. 2022): AdamW, layerDecayRate 0.65, weightDecay 0.05, 5 warm-up
 * epochs of 100, labelSmoothing 0.1, mixupAlpha 0.8, cutmixAlpha 1.0, with RandAugment and
 * RandomErasing in the data pipeline.
 */
import * as torch from '@selfsup/torch';
import { F, optim, type Tensor } from '@selfsup/torch';
import type { DataLoader } from '../data/loader/loader.js';
import { Rng } from '../data/transforms/rng.js';
import type { Backbone } from '../models/backbones/base.js';
import { percent, type TopkAccuracy, topkCorrect } from './accuracy.js';
import {
  type BatchMix,
  CutMix,
  Mixup,
  RandomBatchAugment,
  applyMix,
  smoothOneHot,
  softTargetCrossEntropy,
} from './batch-augments.js';
import { ImageClassifier, type ImageClassifierOptions } from './classifier.js';
import { ExponentialMovingAverage } from './ema.js';

/** Optimizer settings of a fine-tune (defaults: MAE's ViT-B recipe for AdamW, the CIFAR recipe for SGD). */
export interface FineTuneOptimOptions {
  /** Default 'adamw'. */
  optimizer?: 'adamw' | 'sgd';
  /** Base lr, that of the head (default 1e-3 for AdamW, 0.1 for SGD). */
  lr?: number;
  /** Default 0.05 for AdamW, 5e-4 for SGD. */
  weightDecay?: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  /** AdamW betas (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Layer-wise lr decay rate for ViTs (MAE ViT-B: 0.65); unset for none. */
  layerDecayRate?: number;
  /** Apply weight decay to biases and norm parameters too (default false). */
  decayNormAndBias?: boolean;
  /** The head's lr is `lr × headLrMult` (MMSelfSup's semi-supervised `custom_keys={'head': dict(lr_mult=…)}`; default 1). */
  headLrMult?: number;
}

export interface FineTuneOptions extends ImageClassifierOptions, FineTuneOptimOptions {
  /** Training epochs. */
  epochs: number;
  /** Linear warm-up epochs (default 0). */
  warmupEpochs?: number;
  /** Final lr of the cosine (default 0). */
  minLr?: number;
  /**
   * Instead of the cosine: the lr multiplied by `gamma` at these epochs (MMSelfSup's
   * `MultiStepLR(by_epoch=True)`, e.g. the semi-supervised `milestones=[12, 16], gamma=0.2`).
   */
  multiStep?: { milestones: number[]; gamma: number };
  /** Label smoothing ε of the cross-entropy (default 0; MAE: 0.1). */
  labelSmoothing?: number;
  /** Clip the gradients' global L2 norm to this value (default: no clipping). */
  clipGradNorm?: number;
  /** Mixup's Beta(α, α) (MAE: 0.8); unset for no Mixup. */
  mixupAlpha?: number;
  /** CutMix's Beta(α, α) (MAE: 1.0); unset for no CutMix. */
  cutmixAlpha?: number;
  /** Probability that a batch is mixed at all (timm's `mixup_prob`, default 1). */
  mixupProb?: number;
  /** With both, the probability that a mixed batch uses CutMix rather than Mixup (timm's `switch_prob`, default 0.5). */
  mixupSwitchProb?: number;
  /** CutMix's box side range as fractions of the image side (timm's `cutmix_minmax`); λ then follows the box. */
  cutmixMinmax?: [number, number];
  /**
   * Keep an EMA of the weights with this momentum (MMEngine's convention: the new value's weight,
   * e.g. 1e-4); the validation and the returned model use the averaged weights.
   */
  emaMomentum?: number;
  /** Called after every iteration with the loss and the head's lr. */
  onIter?: (info: { epoch: number; iter: number; loss: number; lr: number }) => void;
  /** Called after every epoch with the mean training loss. */
  onEpoch?: (info: { epoch: number; loss: number }) => void;
}

export interface FineTuneResult extends TopkAccuracy {
  /** Mean training loss of each epoch (over samples). */
  trainLoss: number[];
  /** Loss of every iteration. */
  iterLoss: number[];
  /** The fine-tuned classifier; its backbone is the one passed in, trained in place. */
  model: ImageClassifier;
}

/** A parameter group with the names of its parameters (as `model.namedParameters()` names them). */
export interface FineTuneParamGroup {
  params: Tensor[];
  paramNames: string[];
  lr: number;
  weightDecay: number;
  groupName: string;
}

function defaultLr(o: FineTuneOptimOptions): number {
  return o.lr ?? ((o.optimizer ?? 'adamw') === 'sgd' ? 0.1 : 1e-3);
}

function defaultWeightDecay(o: FineTuneOptimOptions): number {
  return o.weightDecay ?? ((o.optimizer ?? 'adamw') === 'sgd' ? 5e-4 : 0.05);
}

/**
 * The trainable parameters of `model` (a `backbone.` + `head.` module) in groups: with
 * `layerDecayRate`, the layer-decay groups of `optim.layerDecayGroups` (lr × rate^(L+1−layer));
 * otherwise one group with weight decay and one without (biases, 1-D norm parameters,
 * `pos_embed`, `cls_token`), or a single group with `decayNormAndBias`.
 */
export function fineTuneParamGroups(model: ImageClassifier, o: FineTuneOptimOptions = {}): FineTuneParamGroup[] {
  const lr = defaultLr(o);
  const weightDecay = defaultWeightDecay(o);
  checkHeadLrMult(o);
  if (o.layerDecayRate !== undefined) {
    if (!(o.layerDecayRate > 0 && o.layerDecayRate <= 1))
      throw new RangeError(`fineTune: layerDecayRate must be in (0, 1], got ${o.layerDecayRate}`);
    const groups = optim.layerDecayGroups(model, { lr, weightDecay, layerDecayRate: o.layerDecayRate, prefix: 'backbone.' });
    return groups.map((g) => ({
      params: g.params,
      paramNames: g.paramNames,
      // No decay on norms and biases is part of the layer-decay rule; decayNormAndBias restores it.
      weightDecay: o.decayNormAndBias ? weightDecay : g.weightDecay,
      lr: g.lr,
      groupName: g.groupName,
    }));
  }
  const headLr = lr * checkHeadLrMult(o);
  const groups: FineTuneParamGroup[] = [
    { params: [], paramNames: [], lr, weightDecay, groupName: 'decay' },
    { params: [], paramNames: [], lr, weightDecay: 0, groupName: 'no_decay' },
    { params: [], paramNames: [], lr: headLr, weightDecay, groupName: 'head_decay' },
    { params: [], paramNames: [], lr: headLr, weightDecay: 0, groupName: 'head_no_decay' },
  ];
  for (const [name, p] of model.namedParameters()) {
    if (!p.requiresGrad) continue;
    // The head has its own groups only when its lr differs; otherwise the groups stay as they were.
    const head = headLr !== lr && name.startsWith('head.') ? 2 : 0;
    const g = groups[head + (!o.decayNormAndBias && optim.isNoDecayParam(name, p.dim(), 'backbone.') ? 1 : 0)];
    g.params.push(p);
    g.paramNames.push(name);
  }
  return groups.filter((g) => g.params.length > 0);
}

function checkHeadLrMult(o: FineTuneOptimOptions): number {
  const m = o.headLrMult ?? 1;
  if (!(m > 0 && Number.isFinite(m))) throw new RangeError(`fineTune: headLrMult must be positive, got ${m}`);
  if (m !== 1 && o.layerDecayRate !== undefined) throw new RangeError('fineTune: headLrMult and layerDecayRate do not combine');
  return m;
}

/** The optimizer over `fineTuneParamGroups(model, o)` (group names and lr scales kept as extras). */
export function buildFineTuneOptimizer(model: ImageClassifier, o: FineTuneOptimOptions = {}): optim.Optimizer {
  const groups = fineTuneParamGroups(model, o);
  const lr = defaultLr(o);
  const input = groups.map((g) => ({
    params: g.params,
    lr: g.lr,
    weightDecay: g.weightDecay,
    groupName: g.groupName,
    lrScale: g.lr / lr,
  }));
  if ((o.optimizer ?? 'adamw') === 'sgd') return new optim.SGD(input, { lr, momentum: o.momentum ?? 0.9 });
  return new optim.AdamW(input, { lr, betas: o.betas ?? [0.9, 0.999] });
}

/**
 * The per-batch mix of `o` (null without mixupAlpha and cutmixAlpha), as timm's `Mixup` chooses:
 * with probability `mixupProb`, CutMix with probability `mixupSwitchProb` when both are on, else
 * Mixup; in mmpretrain's terms a RandomBatchAugment with those probabilities.
 */
export function buildBatchMix(o: FineTuneOptions): RandomBatchAugment | null {
  const augments: BatchMix[] = [];
  const probs: number[] = [];
  const mixProb = o.mixupProb ?? 1;
  const switchProb = o.mixupSwitchProb ?? 0.5;
  for (const [name, v] of [
    ['mixupAlpha', o.mixupAlpha],
    ['cutmixAlpha', o.cutmixAlpha],
  ] as const)
    if (v !== undefined && !(v > 0 && Number.isFinite(v))) throw new RangeError(`fineTune: ${name} must be positive, got ${v}`);
  for (const [name, v] of [
    ['mixupProb', mixProb],
    ['mixupSwitchProb', switchProb],
  ] as const)
    if (!(v >= 0 && v <= 1)) throw new RangeError(`fineTune: ${name} must be in [0, 1], got ${v}`);
  const both = o.mixupAlpha !== undefined && o.cutmixAlpha !== undefined;
  if (o.mixupAlpha !== undefined) {
    augments.push(new Mixup(o.mixupAlpha));
    probs.push(both ? mixProb * (1 - switchProb) : mixProb);
  }
  if (o.cutmixAlpha !== undefined) {
    augments.push(new CutMix(o.cutmixAlpha, { cutmixMinmax: o.cutmixMinmax }));
    probs.push(both ? mixProb * switchProb : mixProb);
  }
  if (o.cutmixMinmax && o.cutmixAlpha === undefined) throw new RangeError('fineTune: cutmixMinmax needs cutmixAlpha');
  return augments.length > 0 ? new RandomBatchAugment(augments, probs) : null;
}

/** The stream of a batch's mix: a view number no sample uses, so it is apart from the augmentations'. */
const MIX_STREAM = 0x6d6978;

/** The stream batch `step` of `epoch` draws its mix from. */
export function batchMixRng(seed: number, epoch: number, step: number): Rng {
  return Rng.forSample(seed, epoch, step, MIX_STREAM);
}

/** Top-1/top-5 accuracy (percent) of a classifier over a labelled loader, in eval mode and inference mode. */
export async function evaluateClassifier(model: ImageClassifier, loader: DataLoader): Promise<TopkAccuracy> {
  const was = model.training;
  model.eval();
  let top1 = 0;
  let top5 = 0;
  let n = 0;
  try {
    for await (const batch of loader) {
      try {
        const labels = batch.labels;
        if (!labels) throw new TypeError(`evaluateClassifier: ${loader.dataset.describe()} has no labels`);
        const c = torch.tidy(() => torch.inferenceMode(() => topkCorrect(model.forward(batch.views[0]), labels)));
        top1 += c.top1;
        top5 += c.top5;
        n += labels.shape[0];
      } finally {
        batch.dispose();
      }
    }
  } finally {
    model.train(was);
  }
  return { top1: percent(top1, n), top5: percent(top5, n) };
}

/**
 * Fine-tunes `backbone` (in place) with a new linear head on `train`, then evaluates top-1/top-5
 * on `val` (skipped, reported as NaN, when `val` is null). The loader's epoch is set before each
 * epoch, so its shuffling and augmentation follow its seed; batch mixing draws from
 * `(seed, epoch, iteration)` (`seed` default 0). With `emaMomentum`, the backbone and the returned
 * model end with the averaged weights.
 */
export async function fineTune(
  backbone: Backbone,
  train: DataLoader,
  val: DataLoader | null,
  opts: FineTuneOptions,
): Promise<FineTuneResult> {
  const { epochs } = opts;
  const warmup = opts.warmupEpochs ?? 0;
  if (!(Number.isInteger(epochs) && epochs >= 1))
    throw new RangeError(`fineTune: epochs must be a positive integer, got ${epochs}`);
  if (!(warmup >= 0 && warmup < epochs)) throw new RangeError(`fineTune: warmupEpochs must be in [0, epochs), got ${warmup}`);
  const itersPerEpoch = train.length;
  if (itersPerEpoch === 0) throw new RangeError(`fineTune: the training loader over ${train.dataset.describe()} is empty`);
  const mixer = buildBatchMix(opts);
  const smoothing = opts.labelSmoothing ?? 0;
  const model = new ImageClassifier(backbone, opts);
  const device = backbone.parameters()[0]?.device ?? 'cpu';
  model.head.to(device);
  const optimizer = buildFineTuneOptimizer(model, opts);
  let ema: ExponentialMovingAverage | null = null;
  try {
    if (opts.emaMomentum !== undefined) ema = new ExponentialMovingAverage(model, { momentum: opts.emaMomentum });
    const wrapper = new optim.OptimWrapper(optimizer, {
      clipGrad: opts.clipGradNorm !== undefined ? { maxNorm: opts.clipGradNorm } : null,
    });
    const schedulers = optim.buildParamSchedulers(
      wrapper,
      [
        ...(warmup > 0
          ? [{ type: 'LinearLR' as const, startFactor: 1e-4, byEpoch: true, begin: 0, end: warmup, convertToIterBased: true }]
          : []),
        opts.multiStep
          ? { type: 'MultiStepLR' as const, byEpoch: true, ...opts.multiStep }
          : {
              type: 'CosineAnnealingLR' as const,
              byEpoch: true,
              begin: warmup,
              end: epochs,
              etaMin: opts.minLr ?? 0,
              convertToIterBased: true,
            },
      ],
      { epochLength: itersPerEpoch },
    );
    const head = optimizer.paramGroups.findIndex((g) => g.params.includes(model.head.weight));
    const trainLoss: number[] = [];
    const iterLoss: number[] = [];
    let iter = 0;
    model.train();
    for (let epoch = 0; epoch < epochs; epoch++) {
      train.setEpoch(epoch);
      let sum = 0;
      let seen = 0;
      let step = 0;
      for await (const batch of train) {
        try {
          const labels = batch.labels;
          if (!labels) throw new TypeError(`fineTune: ${train.dataset.describe()} has no labels`);
          const lr = optimizer.getHyper(Math.max(0, head), 'lr');
          const rng = batchMixRng(opts.seed ?? 0, epoch, step);
          const loss = torch.tidy(() => {
            let images = batch.views[0];
            let target: Tensor | null = null;
            if (mixer) {
              // timm's targets: smoothed one-hot, then mixed with the images (unmixed batches keep them).
              target = smoothOneHot(labels.to(device), model.numClasses, smoothing);
              const [n, , h, w] = images.shape;
              const mix = mixer.sample(rng, n, h, w);
              if (mix) ({ images, scores: target } = applyMix(images.to(device).float(), target, mix));
            }
            const logits = model.forward(images);
            const l = target
              ? softTargetCrossEntropy(logits, target)
              : F.crossEntropy(logits, labels.to(logits.device), { labelSmoothing: smoothing });
            wrapper.updateParams(l);
            return l.item();
          });
          ema?.update(model);
          step++;
          if (!Number.isFinite(loss)) throw new Error(`fineTune: the loss is ${loss} at epoch ${epoch}, iteration ${iter}`);
          schedulers.stepIter();
          iterLoss.push(loss);
          sum += loss * labels.shape[0];
          seen += labels.shape[0];
          opts.onIter?.({ epoch, iter, loss, lr });
          iter++;
        } finally {
          batch.dispose();
        }
      }
      schedulers.stepEpoch();
      trainLoss.push(sum / Math.max(1, seen));
      opts.onEpoch?.({ epoch, loss: trainLoss[epoch] });
    }
    // MMEngine's EMAHook evaluates with the averaged weights; here they also stay in the model.
    ema?.swap(model);
    const acc = val ? await evaluateClassifier(model, val) : { top1: Number.NaN, top5: Number.NaN };
    return { ...acc, trainLoss, iterLoss, model };
  } catch (e) {
    // The backbone is the caller's; only the head we made is ours to free.
    model.head.dispose();
    throw e;
  } finally {
    ema?.dispose();
    optimizer.dispose();
  }
}
