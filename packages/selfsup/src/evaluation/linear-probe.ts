/**
 * Linear probing of frozen features (Zhang et al. 2016, "Colorful Image Colorization"; Goyal et
 * al. 2019, "Scaling and Benchmarking Self-Supervised Visual Representation Learning"; the linear
 * evaluation of MMSelfSup, SimCLR, MoCo and MAE): a linear classifier trained with cross-entropy on
 * cached `(N, D)` features, optionally after a BatchNorm without affine parameters (MAE's
 * `BatchNorm1d(affine=False, eps=1e-6)`, He et al. 2022, which makes the probe insensitive to the
 * features' scale) or a fixed standardisation with the training set's mean and std.
 *
 * Training: SGD with momentum 0.9 (or LARS, You et al. 2017, as SimCLR/BYOL/MAE probes), weight
 * decay, a cosine learning rate stepped per epoch (Loshchilov & Hutter 2017) after an optional
 * linear warm-up stepped per iteration (MMSelfSup's `LinearLR` + `CosineAnnealingLR`), mini-batches
 * in a seeded order: epoch e visits `torch.randperm(N, generator=manual_seed(seed + e))`, as the
 * loader's samplers do. Caching the features (one pass of the backbone instead of one per epoch) is
 * what makes the probe cheap; it forgoes the random-crop augmentation of the ImageNet protocol.
 */
import * as torch from '@selfsup/torch';
import { F, nn, optim, type Tensor } from '@selfsup/torch';
import { permutation } from '../data/loader/samplers.js';
import { percent, type TopkAccuracy, topkCorrect } from './accuracy.js';
import type { LabelledFeatures } from './features.js';

/** How features are normalised before the linear layer. */
export type ProbeNorm = 'none' | 'batchnorm' | 'standardize';

/**
 * `(N, D)` features → `(N, numClasses)` logits: optional normalisation (`bn`: BatchNorm1d without
 * affine; or fixed `feat_mean`/`feat_std` buffers), then `fc`. State-dict keys: `bn.running_mean`,
 * `feat_mean`, `fc.weight`, `fc.bias`.
 */
export class LinearClassifier extends nn.Module {
  readonly bn: nn.BatchNorm1d | null;
  readonly featMean: Tensor | null;
  readonly featStd: Tensor | null;
  readonly fc: nn.Linear;

  constructor(
    readonly inFeatures: number,
    readonly numClasses: number,
    readonly norm: ProbeNorm = 'none',
  ) {
    super();
    this.bn = this.registerModule(
      'bn',
      norm === 'batchnorm' ? new nn.BatchNorm1d(inFeatures, { affine: false, eps: 1e-6 }) : null,
    );
    const standardize = norm === 'standardize';
    this.featMean = this.registerBuffer('feat_mean', standardize ? torch.zeros([inFeatures]) : null);
    this.featStd = this.registerBuffer('feat_std', standardize ? torch.ones([inFeatures]) : null);
    this.fc = this.registerModule('fc', new nn.Linear(inFeatures, numClasses));
  }

  /** Sets the standardisation statistics (population mean and std per dimension) from `features (N, D)`. */
  fitStandardization(features: Tensor): void {
    if (!this.featMean || !this.featStd) return;
    const mean = this.featMean;
    const std = this.featStd;
    torch.tidy(() =>
      torch.noGrad(() => {
        const x = features.float();
        mean.copy_(x.mean(0));
        // Constant dimensions stay 0 after centring; the floor only avoids 0/0.
        std.copy_(x.std(0, { unbiased: false }).clampMin(1e-8));
      }),
    );
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      let h = x.float();
      if (this.bn) h = this.bn.forward(h);
      if (this.featMean && this.featStd) h = h.sub(this.featMean).div(this.featStd);
      return this.fc.forward(h);
    });
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, num_classes=${this.numClasses}, norm=${this.norm}`;
  }
}

/** `linearProbe`'s default number of epochs (MMSelfSup's cosine linear protocol). */
export const LINEAR_PROBE_EPOCHS = 100;

export interface LinearProbeOptions {
  /** Number of classes (default: largest training label + 1). */
  numClasses?: number;
  /** Default 100 (MMSelfSup's cosine linear protocol). */
  epochs?: number;
  /** Default 256. */
  batchSize?: number;
  /** Base learning rate (default 0.3 for SGD as MMSelfSup's SwAV/BarlowTwins probe, 1.6 for LARS). */
  lr?: number;
  /** Default 0.9. */
  momentum?: number;
  /** Default 0. */
  weightDecay?: number;
  /** Default 'sgd'. 'lars' adapts weight and bias alike (MMSelfSup's LARS linear probe, trust coefficient 0.001). */
  optimizer?: 'sgd' | 'lars';
  /** Default 'none'; 'batchnorm' is MAE's probe. */
  norm?: ProbeNorm;
  /** Linear warm-up epochs (per-iteration steps from 1e-4·lr), before the cosine. Default 0. */
  warmupEpochs?: number;
  /** Final learning rate of the cosine. Default 0. */
  minLr?: number;
  /** Seeds the head's initialisation and the per-epoch shuffling. Default 0. */
  seed?: number;
  /** Initial `fc` weight `(numClasses, D)` and bias `(numClasses)` (default N(0, 0.01²) and 0, as mmcls's linear head). */
  init?: { weight: Tensor; bias: Tensor };
  /** Called after each epoch. */
  onEpoch?: (info: { epoch: number; loss: number; lr: number }) => void;
}

export interface LinearProbeResult extends TopkAccuracy {
  /** Mean training cross-entropy of each epoch (over samples). */
  trainLoss: number[];
  /** Learning rate at the start of each epoch. */
  lr: number[];
  /** The trained classifier (the caller disposes it). */
  classifier: LinearClassifier;
}

function checkSet(s: LabelledFeatures, name: string): void {
  if (s.features.dim() !== 2 || s.labels.dim() !== 1 || s.labels.shape[0] !== s.features.shape[0])
    throw new RangeError(
      `linearProbe: ${name} features must be (N, D) with (N) labels, got [${s.features.shape}] and [${s.labels.shape}]`,
    );
}

/** Top-1/top-5 accuracy (percent) of `classifier` on labelled features, in eval mode, in chunks. */
export function evaluateLinear(classifier: LinearClassifier, data: LabelledFeatures, chunk = 4096): TopkAccuracy {
  const n = data.features.shape[0];
  const was = classifier.training;
  classifier.eval();
  let top1 = 0;
  let top5 = 0;
  try {
    for (let s = 0; s < n; s += chunk) {
      const c = torch.tidy(() =>
        torch.inferenceMode(() => {
          const b = Math.min(chunk, n - s);
          return topkCorrect(classifier.forward(data.features.narrow(0, s, b)), data.labels.narrow(0, s, b));
        }),
      );
      top1 += c.top1;
      top5 += c.top5;
    }
  } finally {
    classifier.train(was);
  }
  return { top1: percent(top1, n), top5: percent(top5, n) };
}

/**
 * Trains a linear classifier on `train` features and reports top-1/top-5 (percent) on `test`.
 * Runs on the train features' device. A final batch of one sample is skipped with batch norm
 * (its batch statistics are undefined).
 */
export function linearProbe(train: LabelledFeatures, test: LabelledFeatures, opts: LinearProbeOptions = {}): LinearProbeResult {
  checkSet(train, 'train');
  checkSet(test, 'test');
  const [n, dim] = train.features.shape;
  if (test.features.shape[1] !== dim)
    throw new RangeError(`linearProbe: train features have ${dim} dims, test ${test.features.shape[1]}`);
  if (n === 0) throw new RangeError('linearProbe: no training samples');
  const epochs = opts.epochs ?? LINEAR_PROBE_EPOCHS;
  const bs = opts.batchSize ?? 256;
  const kind = opts.optimizer ?? 'sgd';
  const lr = opts.lr ?? (kind === 'lars' ? 1.6 : 0.3);
  const norm = opts.norm ?? 'none';
  const warmup = opts.warmupEpochs ?? 0;
  const seed = opts.seed ?? 0;
  if (!(Number.isInteger(epochs) && epochs >= 1))
    throw new RangeError(`linearProbe: epochs must be a positive integer, got ${epochs}`);
  if (!(Number.isInteger(bs) && bs >= 1)) throw new RangeError(`linearProbe: batchSize must be a positive integer, got ${bs}`);
  if (!(Number.isInteger(warmup) && warmup >= 0 && warmup < epochs))
    throw new RangeError(`linearProbe: warmupEpochs must be an integer in [0, epochs), got ${warmup}`);
  const minLabel = torch.tidy(() => train.labels.min().item());
  if (minLabel < 0) throw new RangeError('linearProbe: training labels must be ≥ 0');
  const numClasses = opts.numClasses ?? torch.tidy(() => train.labels.max().item()) + 1;

  const device = train.features.device;
  const classifier = new LinearClassifier(dim, numClasses, norm);
  let optimizer: optim.Optimizer | null = null;
  try {
    classifier.to(device);
    torch.noGrad(() => {
      if (opts.init) {
        classifier.fc.weight.copy_(opts.init.weight);
        classifier.fc.bias?.copy_(opts.init.bias);
      } else {
        const g = new torch.Generator().manualSeed(seed);
        try {
          torch.tidy(() => {
            classifier.fc.weight.copy_(torch.randn(classifier.fc.weight.shape, { generator: g }).mul(0.01));
          });
        } finally {
          g.dispose();
        }
        classifier.fc.bias?.zero_();
      }
    });
    if (norm === 'standardize') classifier.fitStandardization(train.features);
    const hyper = { lr, momentum: opts.momentum ?? 0.9, weightDecay: opts.weightDecay ?? 0 };
    optimizer = kind === 'lars' ? new optim.LARS(classifier.parameters(), hyper) : new optim.SGD(classifier.parameters(), hyper);
    const itersPerEpoch = Math.ceil(n / bs);
    const schedulers = optim.buildParamSchedulers(
      optimizer,
      [
        ...(warmup > 0
          ? [
              {
                type: 'LinearLR' as const,
                startFactor: 1e-4,
                byEpoch: true,
                begin: 0,
                end: warmup,
                convertToIterBased: true,
              },
            ]
          : []),
        { type: 'CosineAnnealingLR' as const, byEpoch: true, begin: warmup, end: epochs, etaMin: opts.minLr ?? 0 },
      ],
      { epochLength: itersPerEpoch },
    );

    const x = train.features;
    const y = train.labels;
    const trainLoss: number[] = [];
    const lrs: number[] = [];
    classifier.train();
    for (let epoch = 0; epoch < epochs; epoch++) {
      lrs.push(optimizer.getHyper(0, 'lr'));
      using order = torch.tidy(() => torch.tensor(Int32Array.from(permutation(n, seed + epoch))).to({ device, dtype: 'int64' }));
      let sum = 0;
      let seen = 0;
      for (let s = 0; s < n; s += bs) {
        const b = Math.min(bs, n - s);
        if (b === 1 && norm === 'batchnorm') continue;
        const loss = torch.tidy(() => {
          const idx = order.narrow(0, s, b);
          const l = F.crossEntropy(classifier.forward(x.indexSelect(0, idx)), y.indexSelect(0, idx).long());
          l.backward();
          return l.item();
        });
        optimizer.step();
        optimizer.zeroGrad();
        schedulers.stepIter();
        sum += loss * b;
        seen += b;
      }
      schedulers.stepEpoch();
      const mean = sum / Math.max(1, seen);
      trainLoss.push(mean);
      opts.onEpoch?.({ epoch, loss: mean, lr: lrs[epoch] });
    }
    const acc = evaluateLinear(classifier, test);
    return { ...acc, trainLoss, lr: lrs, classifier };
  } catch (e) {
    classifier.dispose();
    throw e;
  } finally {
    optimizer?.dispose();
  }
}
