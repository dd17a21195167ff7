/**
 * Percentiles and summaries of latency samples. Every percentile is computed
 * from all samples (sorted, nearest rank), never from histograms or averages
 * of per-block percentiles, so a rare slow request is never smoothed away.
 */

/** A summary of latency samples in milliseconds. */
export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The `p`-th percentile (0 < p ≤ 100) of `sorted` (ascending) by nearest rank:
 * the smallest sample such that at least p % of the samples are ≤ it. NaN when
 * there are no samples.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return NaN;
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}

/** Summarises samples (any order; the input is not modified). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    count: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: values.length ? values[values.length - 1] : NaN,
    mean: values.length ? sum / values.length : NaN,
  };
}

/** Milliseconds with a precision that suits the magnitude: `0.412`, `3.07`, `15.2`, `1234`. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  if (abs < 1) return value.toFixed(3);
  if (abs < 10) return value.toFixed(2);
  if (abs < 100) return value.toFixed(1);
  return value.toFixed(0);
}

/** A rate or count with thousands separators and at most one decimal. */
export function num(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}
