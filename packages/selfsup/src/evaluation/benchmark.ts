/**
 * The evaluation protocols on frozen features, each for several encoders side by side (the SSL
 * backbone, the same architecture randomly initialised, raw pixels): weighted kNN and the linear
 * probe, with features extracted once per encoder. What `selfsup eval` and `selfsup demo` report.
 */
import type { DataLoader } from '../data/loader/loader.js';
import type { ProgressFactory } from '../core/progress.js';
import { type Encoder, extractFeatures, type ExtractedFeatures } from './features.js';
import { knnClassify, knnLabelWarnings, type KnnOptions } from './knn.js';
import { LINEAR_PROBE_EPOCHS, type LinearProbeOptions, linearProbe } from './linear-probe.js';
import type { TopkAccuracy } from './accuracy.js';
import {
  type LowShotResult,
  type LowShotSvmOptions,
  lowShotSvm,
  type SvmOptions,
  type SvmResult,
  svmClassify,
} from './svm-benchmark.js';

export interface FrozenBenchmarkOptions {
  knn?: KnnOptions | false;
  linear?: LinearProbeOptions | false;
  /** The VOC07 SVM protocol (svm-benchmark.ts); off unless given. */
  svm?: SvmOptions | false;
  /** Its low-shot variant; off unless given. */
  lowShot?: LowShotSvmOptions | false;
  onStage?: (message: string) => void;
  /**
   * Bars for the long steps (feature extraction of each split, the kNN similarity batches, the
   * probe's epochs with their loss); none without it.
   */
  progress?: ProgressFactory;
  /**
   * Called with each encoder's test features (and labels) before they are freed, e.g. to embed
   * them for a plot; the tensors are only valid during the call.
   */
  onTestFeatures?: (name: string, test: ExtractedFeatures) => void;
}

export interface FrozenResult {
  /** kNN accuracy by k. */
  knn?: Record<number, TopkAccuracy>;
  linear?: TopkAccuracy & { trainLoss: number[] };
  svm?: SvmResult;
  lowShot?: LowShotResult;
  featureDim: number;
  /** Why a number above may mislead (e.g. kNN on a single training class). */
  warnings?: string[];
}

/** kNN, linear probe and/or SVMs of each named encoder on the same train/test loaders. */
export async function frozenBenchmark(
  encoders: Record<string, Encoder>,
  train: DataLoader,
  test: DataLoader,
  o: FrozenBenchmarkOptions = {},
): Promise<Record<string, FrozenResult>> {
  const out: Record<string, FrozenResult> = {};
  const extract = async (label: string, encode: Encoder, loader: DataLoader): Promise<ExtractedFeatures> => {
    const bar = o.progress?.(label, loader.sampler.length);
    try {
      return await extractFeatures(encode, loader, {
        onProgress: bar && (({ done, total }) => bar.update(done, undefined, total)),
      });
    } finally {
      bar?.done();
    }
  };
  for (const [name, encode] of Object.entries(encoders)) {
    o.onStage?.(`${name}: extracting features`);
    const tr = await extract(`${name} train features`, encode, train);
    let te: ExtractedFeatures | null = null;
    try {
      te = await extract(`${name} test features`, encode, test);
      o.onTestFeatures?.(name, te);
      const r: FrozenResult = { featureDim: tr.features.shape[1] };
      if (o.knn !== false) {
        o.onStage?.(`${name}: kNN`);
        const knn = o.knn ?? {};
        const bar = o.progress?.(`${name} kNN`, te.features.shape[0]);
        try {
          r.knn = knnClassify(tr, te, {
            ...knn,
            onProgress: (p) => {
              bar?.update(p.done, undefined, p.total);
              knn.onProgress?.(p);
            },
          });
        } finally {
          bar?.done();
        }
        const warnings = knnLabelWarnings(tr.labels, te.labels).map((w) => `kNN: ${w}`);
        if (warnings.length > 0) r.warnings = warnings;
      }
      if (o.linear !== false) {
        o.onStage?.(`${name}: linear probe`);
        const linear = o.linear ?? {};
        const bar = o.progress?.(`${name} linear probe`, linear.epochs ?? LINEAR_PROBE_EPOCHS);
        let lp: ReturnType<typeof linearProbe>;
        try {
          lp = linearProbe(tr, te, {
            ...linear,
            onEpoch: (e) => {
              bar?.update(e.epoch + 1, { loss: e.loss, lr: e.lr });
              linear.onEpoch?.(e);
            },
          });
        } finally {
          bar?.done();
        }
        lp.classifier.dispose();
        r.linear = { top1: lp.top1, top5: lp.top5, trainLoss: lp.trainLoss };
      }
      const stage = (m: string) => o.onStage?.(`${name}: ${m}`);
      const svmWarnings: string[] = [];
      if (o.svm) {
        stage('SVM');
        r.svm = svmClassify(tr, te, { ...o.svm, onStage: stage });
        svmWarnings.push(...(r.svm.warnings ?? []));
      }
      if (o.lowShot) {
        stage('low-shot SVM');
        r.lowShot = lowShotSvm(tr, te, { ...o.lowShot, onStage: stage });
        svmWarnings.push(...(r.lowShot.warnings ?? []));
      }
      if (svmWarnings.length > 0) r.warnings = [...(r.warnings ?? []), ...svmWarnings.map((w) => `SVM: ${w}`)];
      out[name] = r;
    } finally {
      for (const t of [tr.features, tr.labels, tr.indices, te?.features, te?.labels, te?.indices]) t?.dispose();
    }
  }
  return out;
}
