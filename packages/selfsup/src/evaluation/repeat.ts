/**
 * Benchmarks repeated over seeds (`selfsup eval --repeat N`): the results of the runs, all of the
 * same shape, merged into one where every number becomes its mean and standard deviation over the
 * runs, so a table or JSON reports `mean ± std` per metric.
 */

/** A metric over repeated runs: the mean, the sample standard deviation (n − 1; 0 for one run) and every run's value. */
export interface MeanStd {
  mean: number;
  std: number;
  runs: number[];
}

export function isMeanStd(v: unknown): v is MeanStd {
  return typeof v === 'object' && v !== null && 'mean' in v && 'std' in v && 'runs' in v;
}

/** Mean and sample std of `values`. */
export function meanStd(values: number[]): MeanStd {
  if (values.length === 0) throw new RangeError('meanStd: no values');
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const ss = values.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: values.length > 1 ? Math.sqrt(ss / (values.length - 1)) : 0, runs: [...values] };
}

/**
 * Merges runs of the same shape: numbers → `MeanStd`; arrays and objects merged element-wise /
 * key-wise; a `warnings` list becomes the union of the runs' warnings; other values (strings) are
 * the first run's. Throws a RangeError naming the path where the runs' shapes differ.
 */
export function aggregateRuns(runs: unknown[], path = 'results'): unknown {
  if (runs.length === 0) throw new RangeError('aggregateRuns: no runs');
  const first = runs[0];
  if (typeof first === 'number') {
    if (!runs.every((r) => typeof r === 'number')) throw new RangeError(`aggregateRuns: ${path} is not a number in every run`);
    return meanStd(runs as number[]);
  }
  if (Array.isArray(first)) {
    if (!runs.every((r) => Array.isArray(r) && r.length === first.length))
      throw new RangeError(`aggregateRuns: ${path} has different lengths across runs`);
    return first.map((_, i) =>
      aggregateRuns(
        runs.map((r) => (r as unknown[])[i]),
        `${path}[${i}]`,
      ),
    );
  }
  if (typeof first === 'object' && first !== null) {
    const out: Record<string, unknown> = {};
    for (const key of new Set(runs.flatMap((r) => Object.keys(r as object)))) {
      const values = runs.map((r) => (r as Record<string, unknown>)[key]);
      if (key === 'warnings') out[key] = [...new Set(values.flatMap((v) => (Array.isArray(v) ? (v as string[]) : [])))];
      else {
        if (values.some((v) => v === undefined)) throw new RangeError(`aggregateRuns: ${path}.${key} is missing in some runs`);
        out[key] = aggregateRuns(values, `${path}.${key}`);
      }
    }
    return out;
  }
  return first;
}

/** `12.34` or, for a repeated metric, `12.34 ± 0.56`. */
export function formatMetric(v: unknown, digits = 2): string {
  if (isMeanStd(v)) return `${v.mean.toFixed(digits)} ± ${v.std.toFixed(digits)}`;
  return typeof v === 'number' ? v.toFixed(digits) : String(v);
}
