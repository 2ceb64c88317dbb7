import type { RetryPolicy } from '@agentd/protocol';

/**
 * Delay before attempt `attempt + 1`, after `attempt` failed: initial × coefficient^(attempt−1),
 * capped at max_interval, then spread ±jitter so many failing runs do not retry in lock-step,
 * and capped again so jitter never exceeds the policy's maximum.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.max_interval_ms, policy.initial_interval_ms * policy.backoff_coefficient ** Math.max(0, attempt - 1));
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(policy.max_interval_ms, Math.round(base + spread)));
}

/** Whether a failure of this attempt ends the run rather than retrying it. */
export function isFinalFailure(policy: RetryPolicy, attempt: number, failure: { type: string; non_retryable: boolean }): boolean {
  return failure.non_retryable || attempt >= policy.max_attempts || policy.non_retryable_types.includes(failure.type);
}
