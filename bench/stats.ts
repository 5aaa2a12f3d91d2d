/** Medians of repeated measurements, with the spread kept for the JSON file. */

/** The runs of one measurement. */
export interface Samples {
  median: number;
  min: number;
  max: number;
  /** Every run, in the order they ran. */
  runs: number[];
}

/** The median (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Summarises runs, rounding each to `digits` decimals. */
export function samples(values: readonly number[], digits = 1): Samples {
  const round = (value: number): number => Number(value.toFixed(digits));
  return { median: round(median(values)), min: round(Math.min(...values)), max: round(Math.max(...values)), runs: values.map(round) };
}
