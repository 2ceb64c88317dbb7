import { parseDuration } from '@agentd/protocol';

/**
 * How long a delivery waits after its n-th failed attempt (n = 1, 2, …): quick at first (a
 * receiver restarting, a deploy), then backing off over a day (an outage): 5 s, 30 s, 2 m,
 * 10 m, 30 m, 1 h, 2 h, 4 h, 8 h, 8 h — 11 attempts over about 23.7 h, after which the
 * delivery is given up and its subscription marked failing. Each wait is jittered ±20 % so the
 * deliveries of one outage do not come back as one burst.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 28_800_000];

/** Fraction of each wait randomised either way. */
export const RETRY_JITTER = 0.2;

/** Attempts a delivery gets: the first and one per wait of the schedule. */
export const attemptsFor = (schedule: readonly number[]): number => schedule.length + 1;

/** The wait after `failedAttempts` failures, jittered; null when the schedule is spent. */
export function retryDelay(schedule: readonly number[], failedAttempts: number, random: () => number): number | null {
  const base = schedule[failedAttempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}

/** `5s,30s,2m`: durations separated by commas (AGENTD_WEBHOOK_RETRY_SCHEDULE); empty: no retries. */
export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  return parts.map((p) => {
    const ms = parseDuration(p);
    if (ms === undefined || ms < 1) throw new Error(`${JSON.stringify(p)} is not a duration such as 5s, 2m or 1h`);
    return ms;
  });
}

/** The longest wait a receiver's Retry-After can ask for: beyond it the schedule's own wait counts. */
export const RETRY_AFTER_MAX_MS = 86_400_000;

/**
 * A receiver's `Retry-After` (RFC 9110: delay-seconds, or an HTTP date) as a wait from `now`, ms;
 * null when absent, unreadable, not in the future, or longer than RETRY_AFTER_MAX_MS.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) && ms > 0 && ms <= RETRY_AFTER_MAX_MS ? ms : null;
}
