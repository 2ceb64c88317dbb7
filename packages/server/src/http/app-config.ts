import type { ConfigReloader } from '../config-file/index.ts';
import type { Engine } from '../engine.ts';
import type { Idempotency } from './idempotency.ts';
import { DEFAULT_LIMITS_CONFIG, type LimitsConfig } from './limits-config.ts';
import type { RateLimits } from './rate-limit.ts';

export interface ApiConfig extends LimitsConfig {
  /** Largest request body, bytes. Default 1 MiB. */
  bodyLimit: number;
  /** Largest body of the batch routes, bytes. Default 16 MiB. */
  batchBodyLimit: number;
  /** How long an Idempotency-Key's response is kept, ms. Default 24 h. */
  idempotencyRetentionMs: number;
  /** SSE comment-frame interval, ms. Default 15 s. */
  sseHeartbeatMs: number;
  /** Streams re-read the database this often even without a wake-up, ms. Default 2 s. */
  streamRecheckMs: number;
  /** Default worker lease TTL, ms. Default 30 s. */
  leaseTtlMs: number;
  /** Default long-poll wait, ms. Default 20 s. */
  leaseWaitMs: number;
  /** pino logger options, or false. Default false. */
  logger: boolean | Record<string, unknown>;
}

export const DEFAULT_API_CONFIG: ApiConfig = {
  ...DEFAULT_LIMITS_CONFIG,
  bodyLimit: 1024 * 1024,
  batchBodyLimit: 16 * 1024 * 1024,
  idempotencyRetentionMs: 24 * 3_600_000,
  sseHeartbeatMs: 15_000,
  streamRecheckMs: 2_000,
  leaseTtlMs: 30_000,
  leaseWaitMs: 20_000,
  logger: false,
};

declare module 'fastify' {
  interface FastifyInstance {
    registeredRoutes: string[];
    rateLimits: RateLimits;
    /** Each route's declared permission (see auth.ts); null: none, so refused to everybody. */
    routePermissions: ReadonlyMap<string, string | null>;
  }
}

export interface AppDeps {
  engine: Engine;
  config: ApiConfig;
  idempotency: Idempotency;
  /** The config file of `agentd serve --config` (POST /v1/reload); absent without one. */
  configFile?: ConfigReloader;
}

