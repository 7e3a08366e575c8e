/**
 * Parts the engine tests register (as a user would with --import): a seeded in-memory image
 * dataset and a small algorithm whose loss uses dropout (so the RNG state matters), a linear
 * layer on pixels (no batch norm, so data-parallel runs can match single-process ones exactly
 * up to float rounding) and an optional NaN at a chosen iteration.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { ArrayDataset } from '../../src/data/datasets/array-dataset.js';
import { Hook } from '../../src/engine/hooks/hook.js';
import type { IterOutputs, RunnerView } from '../../src/engine/hooks/hook.js';
import { Algorithm, type AlgorithmInput, type LossOutput } from '../../src/models/algorithms/base.js';
import { Backbone } from '../../src/models/backbones/base.js';
import { definePart, registerParts } from '../../src/core/registry.js';
import { type AnyPartConfig, nonNegInt, posInt, prob, str, z } from '../../src/core/schema.js';
import type { BackboneConfig } from '../../src/part-configs.js';
import type { TrainProgress } from '../../src/core/progress.js';
import { DATASETS } from '../../src/data/registries.js';
import { HOOKS } from '../../src/engine/registries.js';
import { ALGORITHMS, BACKBONES } from '../../src/models/registries.js';

/** Pseudo-random bytes from a seed (xorshift), independent of libtorch. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

const testArrayPart = definePart({
  registry: DATASETS,
  name: 'TestArray',
  schema: z.strictObject({ n: posInt().optional(), size: posInt().optional(), seed: nonNegInt().optional() }),
  description: 'seeded random 3-channel images, labels alternating 0/1',
  build: (o) => {
    const n = o.n ?? 16;
    const size = o.size ?? 8;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    return new ArrayDataset(
      'TestArray',
      bytes(n * size * size * 3, o.seed ?? 1),
      { height: size, width: size, channels: 3 },
      labels,
      ['a', 'b'],
    );
  },
});

class PixelBackbone extends Backbone {
  readonly numFeatures: number;
  readonly stageChannels: number[];
  readonly fc: nn.Linear;
  constructor(inFeatures: number, out: number) {
    super();
    this.numFeatures = out;
    this.stageChannels = [out];
    this.fc = this.registerModule('fc', new nn.Linear(inFeatures, out));
  }
  forward(x: Tensor): Tensor[] {
    return [this.forwardFeatures(x)];
  }
  forwardFeatures(x: Tensor): Tensor {
    return torch.tidy(() => this.fc.forward(x.flatten(1)));
  }
  initWeights(): void {}
  protected applyFreezing(): void {}
}

const pixelBackbonePart = definePart({
  registry: BACKBONES,
  name: 'PixelBackbone',
  schema: z.strictObject({ inFeatures: posInt(), out: posInt() }),
  description: 'a linear layer on the flattened pixels',
  build: (o) => new PixelBackbone(o.inFeatures, o.out),
});

/** loss = mean(dropout(f(x))²) (dropout 0.5 unless `dropout` says) + mean((f(x) − 1)²); NaN at iteration `nanAt` when set. */
class TestAlgo extends Algorithm {
  readonly drop: nn.Dropout;
  constructor(
    size: number,
    readonly nanAt: number | null,
    dropout: number,
  ) {
    super({
      // A user part, outside the built-in backbones that the options type lists.
      backbone: { type: 'PixelBackbone', inFeatures: 3 * size * size, out: 4 } as AnyPartConfig as BackboneConfig,
      dataPreprocessor: { mean: [127.5, 127.5, 127.5], std: [64, 64, 64] },
    });
    this.drop = this.registerModule('drop', new nn.Dropout(dropout));
  }
  loss(batch: AlgorithmInput, progress?: TrainProgress): LossOutput {
    return torch.tidy(() => {
      const f = this.backbone.forwardFeatures(this.preprocess(batch.views[0]));
      const a = this.drop.forward(f).pow(2).mean();
      const b = f.sub(1).pow(2).mean();
      let loss = a.add(b);
      if (this.nanAt !== null && progress && progress.iter >= this.nanAt) loss = loss.mul(Number.NaN);
      return { loss, logs: { loss_a: a.item(), loss_b: b.item() } };
    });
  }
}

const testAlgoPart = definePart({
  registry: ALGORITHMS,
  name: 'TestAlgo',
  schema: z.strictObject({ size: posInt().optional(), nanAt: nonNegInt().optional(), dropout: prob().optional() }),
  description: 'dropout and a squared loss on a linear pixel backbone; NaN from iteration nanAt',
  build: (o) => new TestAlgo(o.size ?? 8, o.nanAt ?? null, o.dropout ?? 0.5),
});

/** Every hook call, for order tests: `name:point`. */
export const calls: string[] = [];
/** Loss per iteration, for resume tests. */
export const losses: number[] = [];
/** The lr each iteration trained with (the 'loss' recorder's), for schedule tests. */
export const lrs: number[] = [];

class RecordingHook extends Hook {
  constructor(
    readonly name: string,
    priority: number,
    readonly stopAt: number | null,
  ) {
    super();
    this.priority = priority;
  }
  override beforeRun(): void {
    calls.push(`${this.name}:beforeRun`);
  }
  override afterRun(): void {
    calls.push(`${this.name}:afterRun`);
  }
  override beforeTrainEpoch(r: RunnerView): void {
    calls.push(`${this.name}:beforeTrainEpoch${r.progress.epoch}`);
  }
  override afterTrainEpoch(r: RunnerView): void {
    calls.push(`${this.name}:afterTrainEpoch${r.progress.epoch}`);
  }
  override beforeTrainIter(r: RunnerView): void {
    calls.push(`${this.name}:beforeTrainIter${r.progress.iter}`);
    if (this.name === 'loss') lrs.push(r.optimWrapper.getLr().lr[0]);
  }
  override afterTrainIter(r: RunnerView, out: IterOutputs): void {
    calls.push(`${this.name}:afterTrainIter${r.progress.iter}`);
    if (this.name === 'loss') losses.push(out.loss);
    if (this.stopAt !== null && r.progress.iter + 1 === this.stopAt) r.requestStop('test stop');
  }
}

const recordingHookPart = definePart({
  registry: HOOKS,
  name: 'RecordingHook',
  schema: z.strictObject({ name: str(), priority: z.number().optional(), stopAt: posInt().optional() }),
  description: 'records every hook call (and the loss) for the engine tests',
  build: (o) => new RecordingHook(o.name, o.priority ?? 50, o.stopAt ?? null),
});

/** Re-fits the runner's schedule to `maxIters` after iteration `at` (1-based count of iterations done). */
class RefitAtHook extends Hook {
  override priority = 100;
  constructor(
    readonly at: number,
    readonly maxIters: number,
  ) {
    super();
  }
  override afterTrainIter(r: RunnerView): void {
    if (r.progress.iter + 1 === this.at) r.refitSchedule(this.maxIters);
  }
}

const refitAtHookPart = definePart({
  registry: HOOKS,
  name: 'RefitAtHook',
  schema: z.strictObject({ at: posInt(), maxIters: posInt() }),
  description: 're-fits the schedule to maxIters after iteration `at` (engine tests)',
  build: (o) => new RefitAtHook(o.at, o.maxIters),
});

/**
 * After iteration `at`, every process proposes `base + rank` iterations and re-fits to the length
 * they agree on (rank 0's), as FitCheckHook does: ranks that disagreed would train different
 * numbers of iterations and hang in the gradient all-reduce.
 */
class AgreedRefitHook extends Hook {
  override priority = 100;
  constructor(
    readonly at: number,
    readonly base: number,
  ) {
    super();
  }
  override afterTrainIter(r: RunnerView): void {
    if (r.progress.iter + 1 === this.at) r.refitSchedule(r.agreeOnNumber(this.base + r.rank));
  }
}

const agreedRefitHookPart = definePart({
  registry: HOOKS,
  name: 'AgreedRefitHook',
  schema: z.strictObject({ at: posInt(), base: posInt() }),
  description: 're-fits every process to rank 0 of the lengths base + rank after iteration `at` (engine tests)',
  build: (o) => new AgreedRefitHook(o.at, o.base),
});

registerParts([testArrayPart, pixelBackbonePart, testAlgoPart, recordingHookPart, refitAtHookPart, agreedRefitHookPart]);

/** A config for TestAlgo on TestArray: `epochs` epochs of n/batch iterations, SGD + warm-up + cosine. */
export function testConfig(
  o: { epochs?: number; batch?: number; n?: number; nanAt?: number; stopAt?: number; shuffle?: boolean } = {},
) {
  return {
    model: { type: 'TestAlgo', size: 8, ...(o.nanAt !== undefined ? { nanAt: o.nanAt } : {}) },
    trainDataloader: {
      batchSize: o.batch ?? 4,
      shuffle: o.shuffle ?? true,
      dataset: { type: 'TestArray', n: o.n ?? 16, size: 8 },
    },
    optimWrapper: { optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 } },
    paramScheduler: [
      { type: 'LinearLR', startFactor: 0.1, byEpoch: false, begin: 0, end: 3 },
      { type: 'CosineAnnealingLR', byEpoch: true, begin: 0, end: o.epochs ?? 2, convertToIterBased: true },
    ],
    trainCfg: { type: 'EpochBasedTrainLoop' as const, maxEpochs: o.epochs ?? 2 },
    defaultHooks: { logger: { interval: 2 }, checkpoint: { interval: 1 } },
    customHooks: [{ type: 'RecordingHook', name: 'loss', priority: 50, ...(o.stopAt !== undefined ? { stopAt: o.stopAt } : {}) }],
    randomness: { seed: 3 },
  };
}
