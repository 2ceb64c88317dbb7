/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Rounds for printing: 2 decimals for latencies. */
export const ms = (value: number): number => Math.round(value * 100) / 100;

/** Whole runs per second. */
export const perSecond = (count: number, elapsedMs: number): number => Math.round((count * 1000) / elapsedMs);

export function sleep(msDelay: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msDelay));
}
