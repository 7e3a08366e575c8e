/**
 * The VOC07 SVM benchmark of frozen features (Goyal et al. 2019, "Scaling and Benchmarking
 * Self-Supervised Visual Representation Learning"; MMSelfSup's
 * `tools/benchmarks/classification/svm_voc07`) on any labelled dataset, one-vs-rest:
 *
 * - features `(N, D)` divided by their L2 norm + 1e-5 (`svm_helper.normalize_features`);
 * - per class, a linear SVM (`LinearSVC(loss='squared_hinge', intercept_scaling=1,
 *   class_weight={1: 2, -1: 1})`, linear-svm.ts) for every cost of the sweep: MMSelfSup's
 *   `--costs_list 1.0,10.0,100.0` plus 0.5^4 … 0.5^19 (`svm_helper.parse_cost_list`);
 * - the cost of each class chosen by 3-fold cross-validation (`cross_val_score(cv=3,
 *   scoring='average_precision')`: scikit-learn's unshuffled `StratifiedKFold` over that class's
 *   ±1 labels), the SVM refitted on all training features at that cost;
 * - on the test features, the VOC AP of each class's decision values, mAP the mean over classes
 *   (with test positives); with one label per image, also top-1 of the argmax decision value.
 *
 * The low-shot variant (`svm_voc07/low_shot`): for k in 1, 2, 4, …, 96, train on k images per
 * class (independent seeded samples, 5 by default) at every cost, test mAP per (sample, cost), and
 * report at the cost with the best mean over samples the mean, min, max and std over samples
 * (`aggregate_low_shot_svm_stats.py`; the cost is chosen on the test set, as there).
 * Accuracies and APs are percentages.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { permutation } from '../data/loader/samplers.js';
import { percent } from './accuracy.js';
import { averagePrecisionScore, vocAveragePrecision } from './average-precision.js';
import type { LabelledFeatures } from './features.js';
import { LinearSVMSolver, type LinearSVMOptions } from './linear-svm.js';

/** MMSelfSup's sweep: the given costs, then 0.5^4 … 0.5^19 (`svm_helper.parse_cost_list`). */
export function svmCostList(base: number[] = [1, 10, 100]): number[] {
  const out = [...base];
  for (let e = 4; e < 20; e++) out.push(0.5 ** e);
  return out;
}

export interface SvmOptions extends LinearSVMOptions {
  /** The whole cost sweep (default `svmCostList([1, 10, 100])`, MMSelfSup's 19 costs). */
  costs?: number[];
  /** Class weight of the positives (MMSelfSup: 2; the negatives weigh 1). */
  positiveWeight?: number;
  /** Cross-validation folds choosing the cost (default 3). */
  folds?: number;
  onStage?: (message: string) => void;
}

export interface SvmResult {
  /** Mean over classes of the test VOC AP (percent). */
  mAP: number;
  /** Top-1 of the argmax decision value (percent). */
  top1: number;
  /** Test AP per class (percent; NaN for a class without test positives). */
  classAP: number[];
  /** The cost chosen for each class. */
  costs: number[];
  /** Mean cross-validation AP of each class at its chosen cost (percent). */
  crossValAP: number[];
  warnings?: string[];
}

/** Rows divided by their L2 norm + 1e-5, in float64 (`svm_helper.normalize_features`). */
export function normalizeSvmFeatures(x: Tensor): Tensor {
  return torch.tidy(() => {
    const d = x.double();
    return d.div(d.square().sum(1, { keepdim: true }).sqrt().add(1e-5));
  });
}

/**
 * The test fold of every sample under scikit-learn's `StratifiedKFold(k, shuffle=False)`: labels
 * encoded by order of first appearance, each class's share of each fold from a round robin over
 * the sorted codes, and each class's samples, in order, given to fold 0, then 1, … in blocks.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number): Int32Array {
  if (!(Number.isInteger(k) && k >= 2)) throw new RangeError(`stratifiedKFold: k must be an integer ≥ 2, got ${k}`);
  const code = new Map<number, number>();
  const enc = Int32Array.from(labels, (l) => {
    if (!code.has(l)) code.set(l, code.size);
    return code.get(l) as number;
  });
  const counts = new Array<number>(code.size).fill(0);
  for (const e of enc) counts[e]++;
  if (counts.every((c) => c < k)) throw new RangeError(`stratifiedKFold: ${k} folds but no class has ${k} samples`);
  // Round robin over the sorted codes: position p of the sorted list goes to fold p mod k.
  const alloc = Array.from({ length: k }, () => new Array<number>(code.size).fill(0));
  let pos = 0;
  counts.forEach((cnt, c) => {
    for (let j = 0; j < cnt; j++, pos++) alloc[pos % k][c]++;
  });
  const fold = new Int32Array(enc.length);
  const next = new Array<number>(code.size).fill(0);
  const left = alloc.map((row) => [...row]);
  for (let i = 0; i < enc.length; i++) {
    const c = enc[i];
    while (left[next[c]][c] === 0) next[c]++;
    fold[i] = next[c];
    left[next[c]][c]--;
  }
  return fold;
}

function checkFeatures(f: LabelledFeatures, who: string, name: string): Int32Array {
  if (f.features.dim() !== 2) throw new RangeError(`${who}: ${name} features must be (N, D), got [${f.features.shape}]`);
  const labels = Int32Array.from(f.labels.toList() as number[]);
  if (labels.length !== f.features.shape[0])
    throw new RangeError(`${who}: ${labels.length} ${name} labels for ${f.features.shape[0]} features`);
  if (labels.some((l) => l < 0)) throw new RangeError(`${who}: the ${name} data has unlabelled samples (label −1)`);
  return labels;
}

function checkCosts(o: SvmOptions, who: string): number[] {
  const costs = o.costs ?? svmCostList();
  if (costs.length === 0 || costs.some((c) => !(c > 0 && Number.isFinite(c))))
    throw new RangeError(`${who}: costs must be positive numbers, got ${JSON.stringify(costs)}`);
  const pw = o.positiveWeight ?? 2;
  if (!(pw > 0 && Number.isFinite(pw))) throw new RangeError(`${who}: positiveWeight must be positive, got ${pw}`);
  return costs;
}

/** One-vs-rest targets `(N, C)` (±1) and the class-weighted unit costs `(N, C)`. */
function oneVsRest(labels: Int32Array, numClasses: number, positiveWeight: number, device: torch.Device): [Tensor, Tensor] {
  return torch.tidy(() => {
    const l = torch.tensor(labels).to({ device, dtype: 'int64' }).unsqueeze(1);
    const pos = l.eq(torch.arange(0, numClasses, 1, { device, dtype: 'int64' }).unsqueeze(0));
    const y = torch.where(pos, 1, -1).double();
    return [y, torch.where(pos, positiveWeight, 1).double()];
  });
}

/** Per class, the VOC AP of `scores (M, C)` against `labels` (percent), and the classes without positives. */
function testAP(scores: Tensor, labels: Int32Array): { classAP: number[]; mAP: number; top1: number } {
  const [m, c] = scores.shape;
  const s = scores.cpu().toTypedArray() as Float64Array;
  const classAP: number[] = [];
  let sum = 0;
  let counted = 0;
  for (let k = 0; k < c; k++) {
    const col = new Float64Array(m);
    const pos = new Uint8Array(m);
    for (let i = 0; i < m; i++) {
      col[i] = s[i * c + k];
      pos[i] = labels[i] === k ? 1 : 0;
    }
    const ap = vocAveragePrecision(col, pos) * 100;
    classAP.push(ap);
    if (!Number.isNaN(ap)) {
      sum += ap;
      counted++;
    }
  }
  let correct = 0;
  for (let i = 0; i < m; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (s[i * c + k] > s[i * c + best]) best = k;
    if (best === labels[i]) correct++;
  }
  return { classAP, mAP: counted > 0 ? sum / counted : Number.NaN, top1: percent(correct, m) };
}

/** Cost indices in ascending cost order, so each fit warm-starts from the previous one. */
function ascending(costs: number[]): number[] {
  return costs.map((_, i) => i).sort((a, b) => costs[a] - costs[b] || a - b);
}

/** The full VOC07 SVM protocol: per-class cost by cross-validation, refit, test mAP and top-1. */
export function svmClassify(train: LabelledFeatures, test: LabelledFeatures, o: SvmOptions = {}): SvmResult {
  const who = 'svmClassify';
  const costs = checkCosts(o, who);
  const trainLabels = checkFeatures(train, who, 'train');
  const testLabels = checkFeatures(test, who, 'test');
  if (train.features.shape[1] !== test.features.shape[1])
    throw new RangeError(`${who}: train features are ${train.features.shape[1]}-d, test features ${test.features.shape[1]}-d`);
  const folds = o.folds ?? 3;
  const numClasses = Math.max(...trainLabels, ...testLabels) + 1;
  const warnings: string[] = [];
  const xtr = normalizeSvmFeatures(train.features);
  const solver = new LinearSVMSolver(xtr, o);
  xtr.dispose();
  const [y, unit] = oneVsRest(trainLabels, numClasses, o.positiveWeight ?? 2, solver.xa.device);
  try {
    // foldOf[c][i]: the test fold of sample i in class c's cross-validation (its own ±1 labels).
    const foldOf = Array.from({ length: numClasses }, (_, c) =>
      stratifiedKFold(
        Array.from(trainLabels, (l) => (l === c ? 1 : -1)),
        folds,
      ),
    );
    const counts = new Array<number>(numClasses).fill(0);
    for (const l of trainLabels) counts[l]++;
    const few = counts.map((n, c) => [n, c]).filter(([n]) => n < folds);
    if (few.length > 0)
      warnings.push(
        `classes ${few.map(([, c]) => c).join(', ')} have fewer than ${folds} training samples: their cost choice is noisy`,
      );
    const cvAP = Array.from({ length: numClasses }, () => new Array<number>(costs.length).fill(0));
    const n = trainLabels.length;
    for (let f = 0; f < folds; f++) {
      o.onStage?.(`SVM cross-validation fold ${f + 1}/${folds}`);
      const inFold = new Float64Array(n * numClasses);
      for (let i = 0; i < n; i++) for (let c = 0; c < numClasses; c++) inFold[i * numClasses + c] = foldOf[c][i] === f ? 0 : 1;
      using keepMask = torch.tidy(() => torch.tensor(inFold, { shape: [n, numClasses] }).to(solver.xa.device));
      let warm: Tensor | undefined;
      try {
        for (const j of ascending(costs)) {
          const cost = torch.tidy(() => unit.mul(keepMask).mul(costs[j]));
          const fit = solver.fit(y, cost, warm);
          cost.dispose();
          warm?.dispose();
          warm = fit.coef;
          const s = torch.tidy(() => solver.xa.mm(fit.coef).cpu().toTypedArray()) as Float64Array;
          for (let c = 0; c < numClasses; c++) {
            const sc: number[] = [];
            const pos: number[] = [];
            for (let i = 0; i < n; i++)
              if (foldOf[c][i] === f) {
                sc.push(s[i * numClasses + c]);
                pos.push(trainLabels[i] === c ? 1 : 0);
              }
            const ap = averagePrecisionScore(sc, pos);
            // A fold without positives has no AP; scikit-learn would give NaN and argmax would pick it.
            cvAP[c][j] += (Number.isNaN(ap) ? 0 : ap) / folds;
          }
        }
      } finally {
        warm?.dispose();
      }
    }
    // np.argmax: the first cost (in sweep order) with the best mean AP.
    const chosen = cvAP.map((row) => row.reduce((best, v, j) => (v > row[best] ? j : best), 0));
    o.onStage?.('SVM final fits');
    const columns: Tensor[] = new Array(numClasses);
    let warm: Tensor | undefined;
    try {
      for (const j of ascending(costs)) {
        if (!chosen.includes(j)) continue;
        const cost = torch.tidy(() => unit.mul(costs[j]));
        const fit = solver.fit(y, cost, warm);
        cost.dispose();
        warm?.dispose();
        warm = fit.coef;
        chosen.forEach((cj, c) => {
          if (cj === j) columns[c] = torch.tidy(() => fit.coef.narrow(1, c, 1).clone());
        });
      }
    } finally {
      warm?.dispose();
    }
    using coef = torch.cat(columns, 1);
    for (const t of columns) t.dispose();
    using xte = normalizeSvmFeatures(test.features);
    using scores = solver.decision(coef, xte);
    const r = testAP(scores, testLabels);
    const noPos = r.classAP.flatMap((ap, c) => (Number.isNaN(ap) ? [c] : []));
    if (noPos.length > 0) warnings.push(`classes ${noPos.join(', ')} have no test samples: left out of the mAP`);
    const out: SvmResult = {
      mAP: r.mAP,
      top1: r.top1,
      classAP: r.classAP,
      costs: chosen.map((j) => costs[j]),
      crossValAP: chosen.map((j, c) => cvAP[c][j] * 100),
    };
    if (warnings.length > 0) out.warnings = warnings;
    return out;
  } finally {
    y.dispose();
    unit.dispose();
    solver.dispose();
  }
}

/**
 * Exactly `k` samples of every class `0 … numClasses − 1`, chosen by one seeded permutation of the
 * dataset (the first k of each class in it), in dataset order. The same seed gives nested samples:
 * the k-shot set holds the j-shot set for j < k.
 */
export function lowShotIndices(labels: ArrayLike<number>, k: number, seed: number, numClasses: number): number[] {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`lowShotIndices: k must be a positive integer, got ${k}`);
  const taken = new Array<number>(numClasses).fill(0);
  const out: number[] = [];
  for (const i of permutation(labels.length, seed)) {
    const c = labels[i];
    if (c >= 0 && c < numClasses && taken[c] < k) {
      taken[c]++;
      out.push(i);
    }
  }
  const short = taken.flatMap((t, c) => (t < k ? [c] : []));
  if (short.length > 0) throw new RangeError(`lowShotIndices: classes ${short.join(', ')} have fewer than ${k} samples`);
  return out.sort((a, b) => a - b);
}

export interface LowShotSvmOptions extends SvmOptions {
  /** Samples per class (MMSelfSup: 1, 2, 4, 8, 16, 32, 64, 96). */
  shots?: number[];
  /** Independent samples per k (MMSelfSup: 5); sample s uses seed `seed + s`. */
  samples?: number;
  seed?: number;
}

/** Mean, min, max and (population) std over the samples, at the chosen cost. */
export interface LowShotStat {
  mean: number;
  min: number;
  max: number;
  std: number;
}

export interface LowShotResult {
  /** By k: test mAP and top-1 over the samples at `cost`. */
  shots: Record<number, { mAP: LowShotStat; top1: LowShotStat; cost: number }>;
  warnings?: string[];
}

function stats(v: number[]): LowShotStat {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return {
    mean,
    min: Math.min(...v),
    max: Math.max(...v),
    std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length),
  };
}

/** The low-shot VOC07 SVM protocol (see the module docs). */
export function lowShotSvm(train: LabelledFeatures, test: LabelledFeatures, o: LowShotSvmOptions = {}): LowShotResult {
  const who = 'lowShotSvm';
  const costs = checkCosts(o, who);
  const trainLabels = checkFeatures(train, who, 'train');
  const testLabels = checkFeatures(test, who, 'test');
  const numClasses = Math.max(...trainLabels, ...testLabels) + 1;
  const samples = o.samples ?? 5;
  if (!(Number.isInteger(samples) && samples >= 1))
    throw new RangeError(`${who}: samples must be a positive integer, got ${samples}`);
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of trainLabels) counts[l]++;
  const smallest = Math.min(...counts);
  const allShots = o.shots ?? [1, 2, 4, 8, 16, 32, 64, 96];
  const shots = allShots.filter((k) => k <= smallest);
  const warnings: string[] = [];
  if (shots.length < allShots.length)
    warnings.push(
      `k = ${allShots.filter((k) => k > smallest).join(', ')} skipped: the smallest class has ${smallest} training samples`,
    );
  if (shots.length === 0) throw new RangeError(`${who}: no k fits; the smallest class has ${smallest} training samples`);
  using xtr = normalizeSvmFeatures(train.features);
  using xte = normalizeSvmFeatures(test.features);
  const out: LowShotResult = { shots: {} };
  for (const k of shots) {
    o.onStage?.(`low-shot SVM k=${k}`);
    const mAP = Array.from({ length: samples }, () => new Array<number>(costs.length).fill(0));
    const top1 = Array.from({ length: samples }, () => new Array<number>(costs.length).fill(0));
    for (let s = 0; s < samples; s++) {
      const idx = lowShotIndices(trainLabels, k, (o.seed ?? 0) + s, numClasses);
      const sub = Int32Array.from(idx, (i) => trainLabels[i]);
      const x = torch.tidy(() =>
        xtr.indexSelect(0, torch.tensor(Int32Array.from(idx)).to({ device: xtr.device, dtype: 'int64' })),
      );
      const solver = new LinearSVMSolver(x, o);
      x.dispose();
      const [y, unit] = oneVsRest(sub, numClasses, o.positiveWeight ?? 2, solver.xa.device);
      let warm: Tensor | undefined;
      try {
        for (const j of ascending(costs)) {
          const cost = torch.tidy(() => unit.mul(costs[j]));
          const fit = solver.fit(y, cost, warm);
          cost.dispose();
          warm?.dispose();
          warm = fit.coef;
          using scores = solver.decision(fit.coef, xte);
          const r = testAP(scores, testLabels);
          mAP[s][j] = r.mAP;
          top1[s][j] = r.top1;
        }
      } finally {
        warm?.dispose();
        y.dispose();
        unit.dispose();
        solver.dispose();
      }
    }
    const meanByCost = costs.map((_, j) => mAP.reduce((a, row) => a + row[j], 0) / samples);
    const best = meanByCost.reduce((b, v, j) => (v > meanByCost[b] ? j : b), 0);
    out.shots[k] = { mAP: stats(mAP.map((r) => r[best])), top1: stats(top1.map((r) => r[best])), cost: costs[best] };
  }
  if (warnings.length > 0) out.warnings = warnings;
  return out;
}
