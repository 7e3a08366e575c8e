/**
 * The training runner (MMEngine's `Runner` with an epoch- or iteration-based train loop): builds
 * the algorithm, data, optimizer and schedules from a validated config, runs hooks at fixed
 * points in priority order, and saves/restores everything a resumed run needs to reproduce the
 * uninterrupted one exactly on CPU (model, optimizer, schedules, hook state, RNG, data position).
 * Distributed runs use torch.distributed (Gloo, or NCCL on GPUs) with DistributedDataParallel;
 * rank 0 alone writes logs and checkpoints. The model, its optimizer state, momentum targets,
 * queues and memory banks live on `device` (`cpu`, `cuda:N`); each batch is copied there once per
 * step; checkpoints hold CPU tensors and load on any device.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import * as torch from '@selfsup/torch';
import { type Module, nn, optim, type StateDict, type StateValue } from '@selfsup/torch';
import { DistributedSampler, RandomSampler, type Sampler, SequentialSampler } from '../data/loader/samplers.js';
import { type Batch, DataLoader } from '../data/loader/loader.js';
import '../builtins.js';
import { ConfigError } from '../core/errors.js';
import type { TypedConfig } from '../core/registry.js';
import { buildDataset } from './build-data.js';
import { importedModules } from '../core/user-modules.js';
import type { Algorithm, AlgorithmInput, LossOutput } from '../models/algorithms/base.js';
import { loadBackboneWeights } from '../models/backbones/load.js';
import { toChannelsLast, useChannelsLast } from './memory-format.js';
import { resizeView } from './input-resize.js';
import { entry, loadCheckpoint, loadCheckpointData, saveCheckpoint, writeTextAtomic } from './checkpoint.js';
import { fitSchedule } from './schedule-scale.js';
import { makeWritableDir } from './work-dir.js';
import type { Config } from './config/config.js';
import type { Hook, IterOutputs, RunnerView } from './hooks/hook.js';
import { ParamSchedulerHook } from './hooks/param-scheduler-hook.js';
import { batchToDevice, deviceType, resolveDevice } from './device.js';
import { buildOptimWrapper } from './optim-builder.js';
import { scaleLr } from './auto-scale-lr.js';
import { HOOKS, PARAM_SCHEDULERS } from './registries.js';
import { ALGORITHMS } from '../models/registries.js';
import type { TrainProgress } from '../core/progress.js';

export interface RunnerOptions {
  workDir: string;
  /** A checkpoint file, a work/checkpoints dir, or true for this work dir's `latest`. */
  resume?: string | boolean;
  /** Print nothing but errors. */
  quiet?: boolean;
  /** Overrides the config's `device` (`auto`, `cpu`, `cuda`, `cuda:N`). */
  device?: string;
}

export interface TrainResult {
  epochs: number;
  iters: number;
  seconds: number;
  /** Last smoothed loss. */
  loss: number;
  /** Why training stopped early (interrupt, time budget), if it did. */
  stopped?: string;
  /** Whether it stopped early for a reason other than an expected one (Ctrl-C, a hook's error stop). */
  interrupted: boolean;
  /** The last checkpoint written. */
  checkpoint: string | null;
}

/** Thrown when the loss becomes NaN/Inf: nothing was stepped, the last good checkpoint stays. */
export class NonFiniteLossError extends Error {}

type HookPoint = 'beforeRun' | 'afterRun' | 'beforeTrainEpoch' | 'afterTrainEpoch' | 'beforeTrainIter';

export class Runner implements RunnerView {
  readonly model: Algorithm;
  readonly trainModel: Module<[AlgorithmInput, TrainProgress?], LossOutput>;
  readonly optimWrapper: optim.OptimWrapper;
  readonly loader: DataLoader;
  readonly hooks: Hook[];
  readonly workDir: string;
  readonly checkpointDir: string;
  readonly rank: number;
  readonly worldSize: number;
  readonly seed: number;
  /** Where the model trains (`cpu`, `cuda:0`). */
  readonly device: string;
  readonly itersPerEpoch: number;
  readonly lastScalars = new Map<string, number>();
  readonly quiet: boolean;
  /** Whether the model's 4-D weights and the input views are channels_last (config `memoryFormat`). */
  readonly channelsLast: boolean;
  epoch = 0;
  iter = 0;
  /** Iterations whose optimizer step is done (what a checkpoint records as the data position). */
  private doneIters = 0;
  /** Batches of the current epoch already trained (non-zero only when resuming mid-epoch). */
  private skipBatches = 0;
  private stopReason: string | null = null;
  private stopExpected = false;
  /** The factor input views are resized by (ProgressiveResizeHook); 1 = as loaded. */
  private inputScale = 1;
  private pendingScalars: { values: Record<string, number>; kind: 'train' | 'val' }[] = [];
  lastCheckpoint: string | null = null;
  private _cfg: Config;
  private _maxIters: number;
  private _maxEpochs: number;
  private _schedulers: optim.ParamSchedulerList;
  private readonly schedulerHook: ParamSchedulerHook;

  constructor(cfg: Config, opts: RunnerOptions) {
    this._cfg = cfg;
    this.workDir = resolve(opts.workDir);
    this.checkpointDir = join(this.workDir, 'checkpoints');
    this.quiet = opts.quiet ?? false;
    this.rank = torch.distributed.getRank();
    this.worldSize = torch.distributed.getWorldSize();
    this.seed = cfg.randomness?.seed ?? 0;
    torch.manualSeed(this.seed);
    if (cfg.randomness?.deterministic) torch.useDeterministicAlgorithms(true);
    this.device = resolveDevice(
      opts.device ?? cfg.device,
      Number(process.env.LOCAL_RANK ?? 0),
      opts.device ? '--device' : 'device',
    );
    if (cfg.envCfg?.cudnnBenchmark !== undefined && deviceType(this.device) === 'cuda')
      torch.backends.cudnn.benchmark = cfg.envCfg.cudnnBenchmark;
    if (this.rank === 0) {
      makeWritableDir(this.checkpointDir, `work dir ${this.workDir}`);
      // Temps of a run killed mid-save (their writer's PID is gone); other live writers' stay.
      const stale = [this.workDir, this.checkpointDir].flatMap((d) => torch.removeStaleTemps(d).map((f) => join(d, f)));
      if (stale.length > 0 && !this.quiet)
        console.error(`selfsup: removed ${stale.length} stale temporary file(s): ${stale.join(', ')}`);
    }

    // Data.
    const dl = cfg.trainDataloader;
    const { dataset, views } = buildDataset(dl.dataset, 'trainDataloader.dataset');
    // numWorkers > 0: decoding and augmentation in that many worker threads, which rebuild the
    // dataset and pipeline from the config (custom parts through the --import modules); the
    // batches are the same as on this thread.
    const { pipeline, ...datasetCfg } = dl.dataset;
    const numWorkers = pipeline === undefined ? 0 : (dl.numWorkers ?? 0);
    if (dl.augmentOnDevice) {
      const why = views ? views.notDeferrable : 'the dataset has no pipeline';
      if (why) throw new ConfigError('trainDataloader.augmentOnDevice', why);
      if (this.device === 'cpu')
        this.log(
          'augmentOnDevice on the CPU: the training thread runs the augmentations the loader workers would have run ' +
            '(the same views, on batched kernels); it pays on a GPU',
        );
    }
    const shuffle = dl.shuffle ?? true;
    const sampler: Sampler =
      this.worldSize > 1
        ? new DistributedSampler(dataset.length, { rank: this.rank, worldSize: this.worldSize, shuffle, seed: this.seed })
        : shuffle
          ? new RandomSampler(dataset.length, this.seed)
          : new SequentialSampler(dataset.length);
    this.loader = new DataLoader(dataset, {
      batchSize: dl.batchSize,
      dropLast: dl.dropLast ?? true,
      seed: this.seed,
      sampler,
      prefetch: dl.prefetch,
      onCorrupt: dl.onCorrupt,
      ...(dl.augmentOnDevice ? { deviceAugment: { device: this.device, pin: dl.pinMemory } } : {}),
      ...(numWorkers > 0
        ? {
            workers: {
              count: numWorkers,
              dataset: datasetCfg as TypedConfig,
              views: pipeline,
              imports: importedModules(),
              priority: dl.workerPriority,
            },
          }
        : { views }),
    });
    this.itersPerEpoch = this.loader.length;
    if (this.itersPerEpoch === 0)
      throw new Error(
        `trainDataloader: ${dataset.length} images make no batch of ${dl.batchSize} (per process) with dropLast; lower batchSize`,
      );
    const iterBased = cfg.trainCfg.type === 'IterBasedTrainLoop';
    this._maxIters = iterBased ? (cfg.trainCfg.maxIters as number) : (cfg.trainCfg.maxEpochs as number) * this.itersPerEpoch;
    this._maxEpochs = iterBased ? Math.ceil(this._maxIters / this.itersPerEpoch) : (cfg.trainCfg.maxEpochs as number);

    // Model.
    this.model = ALGORITHMS.build(cfg.model, 'model');
    this.model.setDatasetLength(dataset.length);
    if (cfg.loadFrom) loadBackboneWeights(this.model.backbone, loadCheckpointData(cfg.loadFrom));
    // Before the optimizer is built: its state is made on the parameters' device (and in their format).
    if (this.device !== 'cpu') this.model.to(this.device);
    this.channelsLast = useChannelsLast(cfg.memoryFormat ?? 'auto', this.model, this.device);
    if (this.channelsLast) this.model.to({ memoryFormat: 'channelsLast' });
    let trainModel: Module<[AlgorithmInput, TrainProgress?], LossOutput> = this.model;
    if (this.worldSize > 1) {
      if (cfg.syncBn) nn.SyncBatchNorm.convert(this.model as unknown as Module<never[], unknown>);
      trainModel = new nn.DistributedDataParallel(this.model);
    }
    this.trainModel = trainModel;
    this.optimWrapper = buildOptimWrapper(cfg.optimWrapper, this.model);
    // Before the schedulers: they record each group's initial lr (MMEngine's order).
    const realBatch = this.worldSize * dl.batchSize;
    const ratio = scaleLr(this.optimWrapper, cfg.autoScaleLr, realBatch);
    if (ratio !== null)
      this.log(
        `autoScaleLr: lr set for a batch of ${cfg.autoScaleLr?.baseBatchSize}; the real batch is ${realBatch} ` +
          `(${this.worldSize} × ${dl.batchSize}): lr scaled by ${ratio}`,
      );
    this._schedulers = this.buildSchedulers(cfg);
    this.schedulerHook = new ParamSchedulerHook(this._schedulers);

    // Hooks.
    const hooks: Hook[] = [
      this.schedulerHook,
      HOOKS.build({ type: 'LoggerHook', ...cfg.defaultHooks?.logger }, 'defaultHooks.logger'),
      HOOKS.build({ type: 'CheckpointHook', byEpoch: !iterBased, ...cfg.defaultHooks?.checkpoint }, 'defaultHooks.checkpoint'),
      ...(cfg.customHooks ?? []).map((h, i) => HOOKS.build(h, `customHooks.${i}`)),
      ...(cfg.knnMonitor
        ? [
            HOOKS.build(
              // The monitor reads its datasets under the run's policy for undecodable images unless it sets its own.
              { type: 'KnnMonitorHook', onCorrupt: cfg.trainDataloader.onCorrupt, ...cfg.knnMonitor },
              'knnMonitor',
            ),
          ]
        : []),
    ];
    // Stable sort: equal priorities keep registration order (MMEngine's rule).
    this.hooks = hooks
      .map((h, i) => [h, i] as const)
      .sort((a, b) => a[0].priority - b[0].priority || a[1] - b[1])
      .map(([h]) => h);

    if (opts.resume) this.resume(opts.resume === true ? this.checkpointDir : opts.resume);
    this.optimWrapper.initializeCountStatus(this.iter, this.maxIters, this.model);
  }

  /** The config being trained (the re-fitted one after `refitSchedule`). */
  get cfg(): Config {
    return this._cfg;
  }
  get maxIters(): number {
    return this._maxIters;
  }
  get maxEpochs(): number {
    return this._maxEpochs;
  }
  get schedulers(): optim.ParamSchedulerList {
    return this._schedulers;
  }

  private buildSchedulers(cfg: Config): optim.ParamSchedulerList {
    return new optim.ParamSchedulerList(
      (cfg.paramScheduler ?? []).map((c, i) =>
        PARAM_SCHEDULERS.build(c, `paramScheduler.${i}`)(this.optimWrapper, { epochLength: this.itersPerEpoch }),
      ),
    );
  }

  /**
   * Re-fits the schedule to `maxIters` iterations (a time budget's FitCheckHook, early in the run):
   * the config becomes `fitSchedule(cfg, maxIters)` (checkpoint and kNN-monitor intervals kept as
   * they run), the schedulers are rebuilt from the groups' initial values and stepped to the
   * iterations done, so the hyperparameters from the next iteration on are those a run of the
   * re-fitted config would have; the work dir's `config.json` is rewritten, so that a resume
   * (`--resume` with that file) continues the re-fitted schedule.
   */
  refitSchedule(maxIters: number): void {
    const done = this.doneIters;
    if (this._cfg.trainCfg.type !== 'IterBasedTrainLoop')
      throw new Error('refitSchedule: the config trains by epochs; fit it to an iteration-based loop first (fitSchedule)');
    if (!(Number.isInteger(maxIters) && maxIters > done))
      throw new RangeError(`refitSchedule: ${maxIters} must be an integer above the ${done} iterations done`);
    const fitted = fitSchedule(this._cfg, maxIters, this.itersPerEpoch);
    const cfg: Config = { ...fitted, defaultHooks: this._cfg.defaultHooks, knnMonitor: this._cfg.knnMonitor };
    const groups = this.optimWrapper.paramGroups;
    // The chainable rules read the current values: start them where a new run starts.
    for (const s of this._schedulers.schedulers)
      groups.forEach((g, i) => {
        const v = g.initial[s.param];
        if (v !== undefined) this.optimWrapper.setHyper(i, s.param, v);
      });
    const schedulers = this.buildSchedulers(cfg);
    // As the hooks stepped them: after each iteration, and after each epoch ended before this one
    // (the current epoch's end, if this iteration ends it, is still to come).
    for (let i = 0; i < done; i++) {
      schedulers.stepIter();
      if ((i + 1) % this.itersPerEpoch === 0 && i + 1 < done) schedulers.stepEpoch();
    }
    this._schedulers = schedulers;
    this.schedulerHook.schedulers = schedulers;
    this._cfg = cfg;
    this._maxIters = maxIters;
    this._maxEpochs = Math.ceil(maxIters / this.itersPerEpoch);
    this.optimWrapper.setMaxCounts(maxIters);
    const file = join(this.workDir, 'config.json');
    if (this.rank === 0 && existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Config;
      writeTextAtomic(
        file,
        `${JSON.stringify({ ...saved, trainCfg: cfg.trainCfg, paramScheduler: cfg.paramScheduler }, null, 2)}\n`,
      );
    }
  }

  agreeOnNumber(value: number): number {
    if (this.worldSize === 1) return value;
    using t = torch.tensor([value], { dtype: 'float64', device: this.device });
    torch.distributed.broadcast(t, 0);
    return t.item();
  }

  get progress(): TrainProgress {
    return { epoch: this.epoch, iter: this.iter, maxEpochs: this.maxEpochs, maxIters: this.maxIters };
  }

  logScalars(values: Record<string, number>, opts: { kind?: 'train' | 'val' } = {}): void {
    for (const [k, v] of Object.entries(values)) this.lastScalars.set(k, v);
    this.pendingScalars.push({ values, kind: opts.kind ?? 'train' });
  }

  /** Scalars logged since the last call (the logger hook drains them). */
  drainScalars(): { values: Record<string, number>; kind: 'train' | 'val' }[] {
    const out = this.pendingScalars;
    this.pendingScalars = [];
    return out;
  }

  requestStop(reason: string, opts: { expected?: boolean } = {}): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.stopExpected = opts.expected ?? false;
  }

  setInputScale(scale: number): void {
    if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`setInputScale: expected a positive factor, got ${scale}`);
    this.inputScale = scale;
  }

  get stopRequested(): string | null {
    return this.stopReason;
  }

  log(line: string): void {
    // Status, not results: stderr (stdout carries only what a command prints as its result).
    if (this.rank === 0 && !this.quiet) console.error(line);
  }

  private async callHooks(point: HookPoint): Promise<void> {
    for (const h of this.hooks) {
      const fn = h[point];
      if (fn) await fn.call(h, this);
    }
  }

  /**
   * SIGINT (Ctrl-C), SIGTERM (Slurm, Kubernetes, `docker stop`) and SIGHUP stop training after the
   * current iteration with a resumable checkpoint. A second signal (a second or more later) exits at once: checkpoints are
   * written atomically, so the last good one stays whole. A worker whose launcher died (killed -9:
   * its parent changed) exits instead of training on unsupervised. Returns the cleanup.
   */
  private watchStopSignals(): () => void {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    let first: number | null = null;
    const on = (sig: NodeJS.Signals) => {
      if (first === null) {
        this.requestStop(`interrupted (${sig})`);
        first = performance.now();
        return;
      }
      // Ctrl-C reaches a worker twice (from the terminal and forwarded by the launcher): a repeat
      // within a second is the same request.
      if (performance.now() - first < 1000) return;
      console.error(`selfsup: second ${sig}: exiting now; the last saved checkpoint is intact`);
      process.exit(128 + (os.constants.signals[sig] ?? 0));
    };
    for (const sig of signals) process.on(sig, on);
    const launcher = Number(process.env.SELFSUP_LAUNCHER_PID ?? 0);
    const watch =
      launcher > 0
        ? setInterval(() => {
            if (process.ppid === launcher) return;
            console.error(`selfsup: rank ${this.rank}: the launcher (pid ${launcher}) is gone; exiting`);
            process.exit(1);
          }, 500).unref()
        : null;
    return () => {
      for (const sig of signals) process.off(sig, on);
      if (watch) clearInterval(watch);
    };
  }

  /** Runs the training loop to the end (or to a stop request) and returns what happened. */
  async train(): Promise<TrainResult> {
    const t0 = performance.now();
    let lastLoss = Number.NaN;
    const stopSignals = this.watchStopSignals();
    try {
      await this.callHooks('beforeRun');
      while (this.epoch < this.maxEpochs && this.iter < this.maxIters && !this.stopReason) {
        this.loader.setEpoch(this.epoch);
        await this.callHooks('beforeTrainEpoch');
        let b = 0;
        let tData = performance.now();
        for await (const batch of this.loader) {
          if (b++ < this.skipBatches) {
            batch.dispose();
            tData = performance.now();
            continue;
          }
          const dataWaitMs = performance.now() - tData;
          try {
            lastLoss = await this.step(batch, dataWaitMs);
          } finally {
            batch.dispose();
          }
          // Let signals (Ctrl-C) and timers run: with in-memory data the loader's promises are already
          // resolved, and microtasks alone never hand control back to the event loop.
          await new Promise<void>((resolve) => setImmediate(resolve));
          tData = performance.now();
          if (this.stopReason || this.iter >= this.maxIters) break;
        }
        this.skipBatches = 0;
        if (this.stopReason && b < this.itersPerEpoch) break;
        await this.callHooks('afterTrainEpoch');
        this.epoch++;
      }
      if (this.stopReason) this.interruptCheckpoint();
      await this.callHooks('afterRun');
    } finally {
      stopSignals();
      await this.loader.close();
    }
    return {
      epochs: this.epoch,
      iters: this.iter,
      seconds: (performance.now() - t0) / 1000,
      loss: lastLoss,
      ...(this.stopReason ? { stopped: this.stopReason } : {}),
      interrupted: this.stopReason !== null && !this.stopExpected,
      checkpoint: this.lastCheckpoint,
    };
  }

  /** One iteration: forward, NaN guard, backward (+ gradient all-reduce), step, hooks. */
  private async step(batch: Batch, dataWaitMs: number): Promise<number> {
    await this.callHooks('beforeTrainIter');
    const t = performance.now();
    this.trainModel.train();
    const progress = this.progress;
    const ow = this.optimWrapper;
    const { output, loss } = torch.tidy(() => {
      // Copies made here are freed with the step's other temporaries.
      const moved = batchToDevice(batch, this.device, { pin: this.cfg.trainDataloader.pinMemory });
      const input = this.prepareViews(moved);
      const out = ow.optimContext(() => this.trainModel.forward(input, progress));
      const value = out.loss.item();
      if (!Number.isFinite(value)) {
        const terms = Object.entries(out.logs)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ');
        throw new NonFiniteLossError(
          `loss is ${value} at epoch ${this.epoch + 1}, iteration ${this.iter + 1}${terms ? ` (${terms})` : ''}; ` +
            `nothing was updated. ${this.lastCheckpoint ? `The last good checkpoint is ${this.lastCheckpoint}. ` : ''}` +
            'Lower the learning rate, add clipGrad to optimWrapper, or check the data.',
        );
      }
      ow.backward(ow.scaleLoss(out.loss));
      if (ow.shouldUpdate()) {
        if (this.trainModel instanceof nn.DistributedDataParallel) this.trainModel.syncGradients();
        ow.step();
        ow.zeroGrad();
      }
      this.doneIters = this.iter + 1;
      return { output: { loss: out.loss.detach(), logs: out.logs }, loss: value };
    });
    const outs: IterOutputs = {
      output,
      loss,
      batchSize: batch.idx.shape[0],
      dataWaitMs,
      iterMs: performance.now() - t,
    };
    try {
      for (const h of this.hooks) if (h.afterTrainIter) await h.afterTrainIter(this, outs);
    } finally {
      output.loss.dispose();
    }
    this.iter++;
    return loss;
  }

  /** The batch's views resized (`setInputScale`) and in the run's memory format. */
  private prepareViews(batch: AlgorithmInput): AlgorithmInput {
    const scale = this.inputScale;
    if (scale !== 1 && batch.masks?.length)
      throw new RangeError(
        'the input views cannot be resized (ProgressiveResizeHook) in a batch with masks: the masks are on the full-size patch grid',
      );
    if (scale === 1 && !this.channelsLast) return batch;
    const views = batch.views.map((v) => {
      const r = scale === 1 ? v : resizeView(v, scale);
      return this.channelsLast ? toChannelsLast(r) : r;
    });
    return { ...batch, views };
  }

  /** The full training state (MMEngine's checkpoint layout). */
  stateDict(): StateDict {
    const hooks: Record<string, unknown> = {};
    this.hooks.forEach((h, i) => {
      if (h.stateDict) hooks[`${i}:${h.constructor.name}`] = h.stateDict();
    });
    return {
      meta: {
        epoch: Math.floor(this.doneIters / this.itersPerEpoch),
        iter: this.doneIters,
        seed: this.seed,
        world_size: this.worldSize,
        exp_name: this.cfg.expName ?? '',
        selfsup_version: '0.1.0',
        time: new Date().toISOString(),
        hook_states: JSON.stringify(hooks),
        algorithm_state: JSON.stringify(this.model.extraState()),
        config: JSON.stringify(this.cfg),
      },
      state_dict: this.model.stateDict() as unknown as StateValue,
      optimizer: this.optimWrapper.stateDict(),
      param_schedulers: this.schedulers.stateDict() as unknown as StateValue,
      rng: { torch: torch.getRngState(), ...(this.device === 'cpu' ? {} : { cuda: this.deviceRngState() }) },
    };
  }

  /** The GPU's default generator state (masks and dropout drawn on the device use it). */
  private deviceRngState(): torch.Tensor {
    using g = torch.defaultGenerator(this.device);
    return g.getState();
  }

  /** Writes `name` into the checkpoints dir (rank 0), updates `latest`, returns the path. */
  saveCheckpoint(name: string): string | null {
    if (this.rank !== 0) return null;
    const state = this.stateDict();
    try {
      this.lastCheckpoint = saveCheckpoint(this.checkpointDir, name, state);
    } finally {
      const rng = state.rng as StateDict;
      (rng.torch as torch.Tensor).dispose();
      (rng.cuda as torch.Tensor | undefined)?.dispose();
    }
    return this.lastCheckpoint;
  }

  private interruptCheckpoint(): void {
    // Mid-epoch state is resumable: the data position is `iter`.
    const name = `iter_${this.iter}.pth`;
    const file = this.saveCheckpoint(name);
    if (file) this.log(`selfsup: ${this.stopReason}; saved ${file} (resume with --resume)`);
  }

  private resume(from: string): void {
    const { file, state } = loadCheckpoint(from);
    const meta = entry(state, 'meta', file);
    this.model.loadStateDict(entry(state, 'state_dict', file), { strict: true });
    this.optimWrapper.loadStateDict(entry(state, 'optimizer', file));
    const scheds = state.param_schedulers;
    if (Array.isArray(scheds)) this.schedulers.loadStateDict(scheds as never);
    const rngs = entry(state, 'rng', file);
    if (rngs.torch instanceof torch.Tensor) torch.setRngState(rngs.torch);
    if (rngs.cuda instanceof torch.Tensor && this.device !== 'cpu') {
      using g = torch.defaultGenerator(this.device);
      g.setState(rngs.cuda);
    }
    const iter = Number(meta.iter);
    if (!Number.isInteger(iter) || iter < 0) throw new Error(`${file}: meta.iter is not an iteration count`);
    if (Number(meta.world_size ?? 1) !== this.worldSize)
      console.warn(`selfsup: ${file} was saved with ${meta.world_size} processes, resuming with ${this.worldSize}`);
    this.iter = iter;
    this.doneIters = iter;
    this.epoch = Math.floor(iter / this.itersPerEpoch);
    this.skipBatches = iter - this.epoch * this.itersPerEpoch;
    const hookStates = JSON.parse(String(meta.hook_states ?? '{}')) as Record<string, Record<string, unknown>>;
    this.hooks.forEach((h, i) => {
      const s = hookStates[`${i}:${h.constructor.name}`];
      if (s && h.loadStateDict) h.loadStateDict(s);
    });
    this.model.loadExtraState(JSON.parse(String(meta.algorithm_state ?? '{}')) as Record<string, number>);
    this.lastCheckpoint = file;
    this.log(`selfsup: resumed from ${file} at epoch ${this.epoch + 1}, iteration ${this.iter}`);
  }
}
