import type { ModelPrices } from '../models/index.ts';

/** Micro-dollars per US dollar: costs are stored and summed as integers of these. */
export const MICROS_PER_USD = 1_000_000;

/** The tokens of one model call. `cachedInput` is the part of `input` read from the prompt cache. */
export interface StepTokens {
  input: number;
  output: number;
  cachedInput: number;
}

/**
 * The cost of one call in integer micro-dollars. A price in USD per million tokens is exactly
 * micro-dollars per token, so the cost is tokens × price: uncached input at the input price,
 * cached input at the cached price, output at the output price. Rounded half up once per call
 * (a step's fraction of a micro-dollar is not carried over: at most half a micro-dollar per call).
 */
export function costMicros(prices: ModelPrices, t: StepTokens): number {
  const uncached = Math.max(0, t.input - t.cachedInput);
  return Math.round(uncached * prices.input + t.cachedInput * prices.cachedInput + t.output * prices.output);
}

export function usdOfMicros(micros: number): number {
  return micros / MICROS_PER_USD;
}

/** USD (a manifest's or budget's `max_cost`) as micro-dollars, rounded down: a limit never grows. */
export function microsOfUsd(usd: number): number {
  return Math.floor(usd * MICROS_PER_USD + 1e-6);
}

/** The UTC day of an epoch-ms time, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The first and last UTC day of the month holding `day` (string bounds of `day BETWEEN`). */
export function monthOf(day: string): { first: string; last: string } {
  return { first: `${day.slice(0, 7)}-01`, last: `${day.slice(0, 7)}-31` };
}

/** Days from `from` to `to`, both included (UTC days). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/**
 * A provider's usage figure as an exact token count, or null when it is not one (absent, NaN,
 * negative, fractional): such a response counts as usage missing, never as zero.
 */
export function tokenCount(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}
