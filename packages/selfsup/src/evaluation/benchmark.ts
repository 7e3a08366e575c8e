/**
 * The evaluation protocols on frozen features, each for several encoders side by side (the SSL
 * backbone, the same architecture randomly initialised, raw pixels): weighted kNN and the linear
 * probe, with features extracted once per encoder. What `selfsup eval` and `selfsup demo` report.
 */
import type { DataLoader } from '../data/loader/loader.js';
import { type Encoder, extractFeatures, type ExtractedFeatures } from './features.js';
import { knnClassify, knnLabelWarnings, type KnnOptions } from './knn.js';
import { type LinearProbeOptions, linearProbe } from './linear-probe.js';
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
  for (const [name, encode] of Object.entries(encoders)) {
    o.onStage?.(`${name}: extracting features`);
    const tr = await extractFeatures(encode, train);
    let te: ExtractedFeatures | null = null;
    try {
      te = await extractFeatures(encode, test);
      o.onTestFeatures?.(name, te);
      const r: FrozenResult = { featureDim: tr.features.shape[1] };
      if (o.knn !== false) {
        o.onStage?.(`${name}: kNN`);
        r.knn = knnClassify(tr, te, o.knn ?? {});
        const warnings = knnLabelWarnings(tr.labels, te.labels).map((w) => `kNN: ${w}`);
        if (warnings.length > 0) r.warnings = warnings;
      }
      if (o.linear !== false) {
        o.onStage?.(`${name}: linear probe`);
        const lp = linearProbe(tr, te, o.linear ?? {});
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
