import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Store } from '../store/index.ts';
import type { ModelAliases } from '../models/index.ts';
import { takeFromBuckets, type BucketNeed } from './rate-buckets.ts';

/** A model call could not be admitted under its alias's shared per-minute limits. */
export class ModelRateLimitedError extends Error {
  readonly alias: string;
  /** How long until it would be admitted, ms; null when it never can (the estimate is over the limit). */
  readonly retryAfterMs: number | null;
  constructor(alias: string, retryAfterMs: number | null, message: string) {
    super(message);
    this.name = 'ModelRateLimitedError';
    this.alias = alias;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface ModelRateLimiterOptions {
  store: Store;
  aliases: ModelAliases;
  /** Longest an acquire waits in all before it fails, ms. Default 60,000 (one refill of the minute). */
  maxWaitMs?: number;
  /** Tests advance a manual clock here instead of sleeping. Default: a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * The shared requests-per-minute and tokens-per-minute limits of each model alias, enforced
 * across every node through the database (model_rate_buckets): token buckets that hold a
 * minute's worth and refill continuously. One acquire is one write transaction on the store's
 * write queue; an alias without limits costs nothing.
 */
export class ModelRateLimiter {
  readonly #store: Store;
  readonly #aliases: ModelAliases;
  readonly #maxWaitMs: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(opts: ModelRateLimiterOptions) {
    this.#store = opts.store;
    this.#aliases = opts.aliases;
    this.#maxWaitMs = opts.maxWaitMs ?? 60_000;
    this.#sleep = opts.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal }));
  }

  /**
   * Admits one call of `alias` expected to use `estimatedTokens` (prompt and output): takes one
   * request and the estimate from the shared buckets, waiting for them up to `maxWaitMs` in all.
   * Throws ModelRateLimitedError when they do not come in time (or can never: an estimate above
   * tokens_per_minute), and the signal's reason when it aborts. Pass the same estimate to
   * recordUsage as `reservedTokens` so the real figure replaces it.
   */
  async acquire(alias: string, estimatedTokens: number, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const cfg = this.#aliases.get(alias);
    if (!cfg) throw new ModelRateLimitedError(alias, null, `model alias ${JSON.stringify(alias)} is not configured`);
    const needs: BucketNeed[] = [];
    if (cfg.requests_per_minute !== undefined) needs.push({ kind: 'requests', capacity: cfg.requests_per_minute, need: 1 });
    if (cfg.tokens_per_minute !== undefined) {
      const need = Math.max(0, Math.ceil(estimatedTokens));
      if (need > cfg.tokens_per_minute) {
        throw new ModelRateLimitedError(alias, null, `the call's estimate of ${need} tokens is above model alias ${alias}'s tokens_per_minute (${cfg.tokens_per_minute}): it can never be admitted`);
      }
      needs.push({ kind: 'tokens', capacity: cfg.tokens_per_minute, need });
    }
    if (needs.length === 0) return;
    let waited = 0;
    for (;;) {
      opts.signal?.throwIfAborted();
      const waitMs = await this.#store.writer.write((ctx) => takeFromBuckets(ctx, alias, needs));
      if (waitMs === 0) return;
      if (waited + waitMs > this.#maxWaitMs) {
        throw new ModelRateLimitedError(alias, waitMs, `model alias ${alias} is at its shared per-minute limit (${describe(cfg.requests_per_minute, cfg.tokens_per_minute)}); next admission in ${waitMs} ms, past the ${this.#maxWaitMs} ms wait allowed`);
      }
      await this.#sleep(waitMs, opts.signal);
      waited += waitMs;
    }
  }
}

function describe(rpm: number | undefined, tpm: number | undefined): string {
  return [rpm !== undefined ? `${rpm} requests/min` : null, tpm !== undefined ? `${tpm} tokens/min` : null].filter(Boolean).join(', ');
}
