import { hash as hashOf } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Engine } from '../engine.ts';
import type { WriteContext } from '../store/index.ts';
import { ApiError } from './errors.ts';

export interface IdempotencyConfig {
  retentionMs: number;
}

/** Hands the engine a hook that records the response inside the same transaction as the change. */
export type Recorder<T> = (ctx: WriteContext, response: T) => Promise<void>;

const MAX_KEY_LENGTH = 255;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Idempotency-Key handling, scoped to (tenant, route, key):
 * - a stored response is replayed with `Idempotent-Replayed: true`;
 * - the same key with another body is 422 IDEMPOTENCY_KEY_REUSED;
 * - while the first request is in flight on this node, 409 IDEMPOTENCY_IN_FLIGHT (across nodes,
 *   the record's primary key makes the second insert fail and it replays the first instead);
 * - the record commits in the same transaction as the change, so a crash cannot separate them;
 * - a request that fails is not recorded, so it can be retried with the same key.
 */
export class Idempotency {
  readonly #engine: Engine;
  readonly #config: IdempotencyConfig;
  readonly #inFlight = new Set<string>();

  constructor(engine: Engine, config: IdempotencyConfig) {
    this.#engine = engine;
    this.#config = config;
  }

  async run<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    statusCode: number,
    work: (record: Recorder<T> | undefined) => Promise<T>,
    /** `bodyForHash`: what to hash instead of the body (a secret's value replaced by a keyed fingerprint). */
    opts: { bodyForHash?: unknown } = {},
  ): Promise<T | FastifyReply> {
    const raw = request.headers['idempotency-key'];
    if (raw === undefined) return reply.code(statusCode).send(await work(undefined));
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new ApiError('VALIDATION_ERROR', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`, [{ path: 'headers.idempotency-key', message: 'bad length' }]);
    }
    const tenantId = request.principal!.tenantId;
    const route = `${request.method} ${request.routeOptions.url}`;
    const hash = hashOf('sha256', `${request.url}\n${canonical(opts.bodyForHash ?? request.body ?? null)}`);
    const replayed = await this.#replay(reply, tenantId, route, key, hash);
    if (replayed) return replayed;
    const flightKey = `${tenantId}\u0000${route}\u0000${key}`;
    if (this.#inFlight.has(flightKey)) throw new ApiError('IDEMPOTENCY_IN_FLIGHT', 'a request with this Idempotency-Key is still in flight', null, { 'retry-after': '1' });
    this.#inFlight.add(flightKey);
    let recorded = false;
    const record: Recorder<T> = async (ctx, response) => {
      recorded = true;
      // An expired record not yet swept would block the insert; after retention the key is new.
      await ctx.trx.deleteFrom('idempotency_keys').where('tenant_id', '=', tenantId).where('route', '=', route).where('key', '=', key).where('expires_at', '<=', ctx.now).execute();
      await ctx.trx
        .insertInto('idempotency_keys')
        .values({ tenant_id: tenantId, route, key, request_hash: hash, status_code: statusCode, response: JSON.stringify(response), created_at: ctx.now, expires_at: ctx.now + this.#config.retentionMs })
        .execute();
    };
    try {
      const body = await work(record);
      if (!recorded) await this.#engine.store.writer.write((ctx) => record(ctx, body));
      return reply.code(statusCode).send(body);
    } catch (err) {
      // Another node committed the same key first: its answer is the answer.
      const again = await this.#replay(reply, tenantId, route, key, hash).catch(() => null);
      if (again) return again;
      throw err;
    } finally {
      this.#inFlight.delete(flightKey);
    }
  }

  async #replay(reply: FastifyReply, tenantId: string, route: string, key: string, hash: string): Promise<FastifyReply | null> {
    const row = await this.#engine.store.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('route', '=', route)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row || row.expires_at <= this.#engine.clock.now()) return null;
    if (row.request_hash !== hash) throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
    return reply.code(row.status_code).header('idempotent-replayed', 'true').send(JSON.parse(row.response));
  }
}
