/**
 * Average precision of a ranking, the metric of the VOC07 SVM benchmark (Everingham et al. 2010,
 * "The PASCAL Visual Object Classes (VOC) Challenge"; Goyal et al. 2019), in the two forms the
 * protocol uses:
 *
 * - `vocAveragePrecision`: MMSelfSup's `svm_helper.get_precision_recall` + `calculate_ap`, the
 *   reported test AP: precision made monotone from the right ("all points" interpolation), summed
 *   over the recall steps;
 * - `averagePrecisionScore`: scikit-learn's `average_precision_score` (no interpolation, tied
 *   scores one threshold), the cross-validation score that picks each class's SVM cost.
 *
 * Scores are one per sample; `positive[i]` is truthy for a positive sample.
 */

function checkInputs(scores: ArrayLike<number>, positive: ArrayLike<number | boolean>, who: string): void {
  if (scores.length !== positive.length) throw new RangeError(`${who}: ${scores.length} scores but ${positive.length} labels`);
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i])) throw new RangeError(`${who}: score ${i} is NaN`);
}

/**
 * MMSelfSup's VOC07 test AP: samples ranked by descending score, precision and recall after each,
 * precision replaced by its maximum at any later rank, AP = Σ (R_i − R_{i−1}) · P_i over the ranks
 * where recall grows. Ties are ranked as `np.argsort(scores)[::-1]` ranks them (NumPy's sort being
 * stable on such inputs): among equal scores the later sample first. NaN without positives.
 */
export function vocAveragePrecision(scores: ArrayLike<number>, positive: ArrayLike<number | boolean>): number {
  checkInputs(scores, positive, 'vocAveragePrecision');
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => scores[a] - scores[b] || a - b)
    .reverse();
  let npos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) npos++;
  if (npos === 0) return Number.NaN;
  const prec = new Float64Array(n + 2);
  const rec = new Float64Array(n + 2);
  let tp = 0;
  for (let k = 0; k < n; k++) {
    if (positive[order[k]]) tp++;
    prec[k + 1] = tp / (k + 1);
    rec[k + 1] = tp / npos;
  }
  // The sentinels: recall 0 and 1 at the ends, precision 0 at both.
  rec[n + 1] = 1;
  for (let i = n; i >= 0; i--) prec[i] = Math.max(prec[i], prec[i + 1]);
  let ap = 0;
  for (let i = 1; i <= n + 1; i++) if (rec[i] !== rec[i - 1]) ap += (rec[i] - rec[i - 1]) * prec[i];
  return ap;
}

/**
 * scikit-learn's `average_precision_score`: AP = Σ_k (R_k − R_{k−1}) · P_k over the distinct
 * score thresholds in descending order, precision and recall counted over every sample scoring at
 * least the threshold. NaN without positives.
 */
export function averagePrecisionScore(scores: ArrayLike<number>, positive: ArrayLike<number | boolean>): number {
  checkInputs(scores, positive, 'averagePrecisionScore');
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let npos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) npos++;
  if (npos === 0) return Number.NaN;
  let ap = 0;
  let tp = 0;
  let prevRecall = 0;
  for (let k = 0; k < n; k++) {
    if (positive[order[k]]) tp++;
    // Only the last sample of a run of equal scores closes a threshold.
    if (k + 1 < n && scores[order[k + 1]] === scores[order[k]]) continue;
    const recall = tp / npos;
    ap += (recall - prevRecall) * (tp / (k + 1));
    prevRecall = recall;
  }
  return ap;
}
