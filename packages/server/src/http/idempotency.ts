import { hash as hashOf } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Engine } from '../engine.ts';
import type { ResponseAddress, SealedSecret } from '../secrets/index.ts';
import type { WriteContext } from '../store/index.ts';
import { ApiError } from './errors.ts';
import { canonicalJson } from '../core/index.ts';

export interface IdempotencyConfig {
  retentionMs: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's answer holds key material (a created API key, a decision link's token): its
     * idempotency record is sealed with the vault's master key (AES-256-GCM, AAD bound to tenant,
     * route and Idempotency-Key) instead of being stored as text. Declared by the route, never
     * guessed from the body.
     */
    sensitiveResponse?: boolean;
  }
}

/** Hands the engine a hook that records the response inside the same transaction as the change. */
export type Recorder<T> = (ctx: WriteContext, response: T) => Promise<void>;

export interface IdempotentOptions {
  /** What to hash instead of the body (a secret's value replaced by a keyed fingerprint). */
  bodyForHash?: unknown;
  /**
   * The work changes nothing in the database (a decision link is only signed): the record is the
   * request's one write, so it commits in a transaction of its own. Every other route must call
   * the recorder inside the transaction of its change.
   */
  stateless?: boolean;
  /**
   * The status to answer (and record), when the outcome decides it: a create under a
   * client-chosen id that finds the same thing already there answers 200, not 201. Asked once
   * the work has run (inside its transaction, for the record). Default: the route's status.
   */
  status?: () => number;
}

const MAX_KEY_LENGTH = 255;

/**
 * Idempotency-Key handling, scoped to (tenant, route, key):
 * - a stored response is replayed with `Idempotent-Replayed: true`;
 * - the same key with another body is 422 IDEMPOTENCY_KEY_REUSED;
 * - while the first request is in flight on this node, 409 IDEMPOTENCY_IN_FLIGHT (across nodes,
 *   the record's primary key makes the second insert fail, which rolls its change back with it,
 *   and it replays the first instead);
 * - the record commits in the same transaction as the change (the engine calls the recorder in
 *   it), so a crash or a failed record write cannot separate them: both are there, or neither;
 * - a request that fails is not recorded, so it can be retried with the same key;
 * - a route marked `sensitiveResponse` has its record sealed by the vault, so the key material
 *   it answers with once is in no table, dump or backup as text.
 */
export class Idempotency {
  readonly #engine: Engine;
  readonly #config: IdempotencyConfig;
  readonly #inFlight = new Set<string>();

  constructor(engine: Engine, config: IdempotencyConfig) {
    this.#engine = engine;
    this.#config = config;
  }

  async run<T>(request: FastifyRequest, reply: FastifyReply, statusCode: number, work: (record: Recorder<T> | undefined) => Promise<T>, opts: IdempotentOptions = {}): Promise<T | FastifyReply> {
    const raw = request.headers['idempotency-key'];
    const status = () => opts.status?.() ?? statusCode;
    if (raw === undefined) {
      const answer = await work(undefined);
      return reply.code(status()).send(answer);
    }
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new ApiError('VALIDATION_ERROR', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`, [{ path: 'headers.idempotency-key', message: 'bad length' }]);
    }
    const tenantId = request.principal!.tenantId;
    const route = `${request.method} ${request.routeOptions.url}`;
    const address: ResponseAddress = { tenantId, route, key };
    const sealed = request.routeOptions.config?.sensitiveResponse === true;
    // A sealed answer (a new key, a link's token) belongs to the caller that asked for it: the
    // caller's key is part of what the record answers for, so another key of the tenant sending
    // the same Idempotency-Key and body gets 422, not someone else's credential.
    const caller = sealed ? `${request.principal!.keyId}\n` : '';
    const hash = hashOf('sha256', `${caller}${request.url}\n${canonicalJson(opts.bodyForHash ?? request.body ?? null)}`);
    const replayed = await this.#replay(reply, address, sealed, hash);
    if (replayed) return replayed;
    const flightKey = `${tenantId}\u0000${route}\u0000${key}`;
    if (this.#inFlight.has(flightKey)) throw new ApiError('IDEMPOTENCY_IN_FLIGHT', 'a request with this Idempotency-Key is still in flight', null, { 'retry-after': '1' });
    this.#inFlight.add(flightKey);
    let recorded = false;
    const record: Recorder<T> = async (ctx, response) => {
      recorded = true;
      const text = JSON.stringify(response);
      const stored = sealed ? JSON.stringify(this.#engine.secrets.sealResponse(address, text)) : text;
      // An expired record not yet swept would block the insert; after retention the key is new.
      await ctx.trx.deleteFrom('idempotency_keys').where('tenant_id', '=', tenantId).where('route', '=', route).where('key', '=', key).where('expires_at', '<=', ctx.now).execute();
      await ctx.trx
        .insertInto('idempotency_keys')
        .values({ tenant_id: tenantId, route, key, request_hash: hash, status_code: status(), response: stored, created_at: ctx.now, expires_at: ctx.now + this.#config.retentionMs })
        .execute();
    };
    try {
      const body = opts.stateless
        ? await this.#engine.store.writer.write(async (ctx) => {
            const response = await work(undefined);
            await record(ctx, response);
            return response;
          })
        : await work(record);
      // Recording after the fact would be a second transaction, which a crash can separate from
      // the change: a route that forgot its recorder answers, unrecorded, and says so loudly.
      if (!recorded) request.log.error({ route }, 'idempotent route did not record its response in its transaction; a retry will repeat it');
      return reply.code(status()).send(body);
    } catch (err) {
      // Another node committed the same key first: its answer is the answer. A failed look-up
      // (the database is down too) leaves the request's own error to answer, and is logged.
      const again = await this.#replay(reply, address, sealed, hash).catch((lookup: unknown) => {
        if (!(lookup instanceof ApiError)) request.log.warn({ err: lookup, route }, 'could not look up the idempotency record after a failed request');
        return null;
      });
      if (again) return again;
      throw err;
    } finally {
      this.#inFlight.delete(flightKey);
    }
  }

  async #replay(reply: FastifyReply, address: ResponseAddress, sealed: boolean, hash: string): Promise<FastifyReply | null> {
    const row = await this.#engine.store.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('tenant_id', '=', address.tenantId)
      .where('route', '=', address.route)
      .where('key', '=', address.key)
      .executeTakeFirst();
    if (!row || row.expires_at <= this.#engine.clock.now()) return null;
    if (row.request_hash !== hash) throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
    const text = sealed ? this.#engine.secrets.openResponse(address, JSON.parse(row.response) as SealedSecret) : row.response;
    return reply.code(row.status_code).header('idempotent-replayed', 'true').send(JSON.parse(text));
  }
}
