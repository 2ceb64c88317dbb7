import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKey, CreatedApiKey, Page, Role } from '@agentd/protocol';
import type { Store, WriteContext } from '../store/index.ts';
import type { ApiKeysTable } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { Clock } from '../core/index.ts';
import { errorContext } from '../core/index.ts';
import { TtlCache } from '../core/index.ts';
import type { WireFormat } from '../core/index.ts';
import { newestFirstPage } from '../store/index.ts';
import { checkKeyRequest, type KeyScope } from './key-scope.ts';

/** The caller a valid key identifies. */
export interface Principal extends KeyScope {
  tenantId: string;
  keyId: string;
  /** The key's name, if it was given one (assignee lists may use names). */
  keyName: string | null;
}

/** A principal without the cache's bookkeeping: a fresh object, so no caller can alter the cache. */
function toPrincipal(p: Principal): Principal {
  return { tenantId: p.tenantId, keyId: p.keyId, keyName: p.keyName, role: p.role, agents: p.agents };
}

export function hashKey(key: string): string {
  return hash('sha256', key);
}

/** `agd_` + 40 base62-ish chars (~238 bits); the first 12 characters are shown as its prefix. */
export function generateKey(): string {
  return `agd_${randomBytes(30).toString('base64url').replace(/[-_]/g, 'x')}`;
}

const displayPrefix = (key: string): string => key.slice(0, 12);

function toApiKey(row: ApiKeysTable, wire: WireFormat): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    agents: row.agents === null ? null : (JSON.parse(row.agents) as string[]),
    prefix: row.prefix,
    created_at: wire.iso(row.created_at),
    expires_at: wire.isoOrNull(row.expires_at),
    revoked_at: wire.isoOrNull(row.revoked_at),
    last_used_at: wire.isoOrNull(row.last_used_at),
  };
}

/** Throttle for `last_used_at` writes: a busy key must not cost one write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * How long a verified key is trusted without asking the database. Revocation on this node
 * clears the cache at once; a revocation made on another node takes effect within this window.
 */
const AUTH_CACHE_TTL_MS = 1000;

export class KeyService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #cache = new TtlCache<Principal & { expiresAt: number | null }>({ ttlMs: AUTH_CACHE_TTL_MS });

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /**
   * Creates a key; the plaintext is returned here and never again (only its hash is kept). A
   * worker key must name its `agents` (`["*"]` for all); no other role may (422 KEY_INVALID).
   * `record` runs in the same transaction (the route's idempotency record, sealed by the vault).
   */
  async create(
    input: { tenantId: string; role: Role; name?: string | null; agents?: readonly string[] | null; expiresAt?: number | null; key?: string },
    opts: { record?: (ctx: WriteContext, created: CreatedApiKey) => Promise<void> } = {},
  ): Promise<CreatedApiKey> {
    const { record } = opts;
    const now = this.#clock.now();
    const agents = checkKeyRequest({ role: input.role, agents: input.agents, expiresAt: input.expiresAt, now });
    const key = input.key ?? generateKey();
    const row: ApiKeysTable = {
      id: this.#store.ids.next('key', now),
      tenant_id: input.tenantId,
      name: input.name ?? null,
      role: input.role,
      agents: agents === null ? null : JSON.stringify(agents),
      prefix: displayPrefix(key),
      hash: hashKey(key),
      created_at: now,
      expires_at: input.expiresAt ?? null,
      revoked_at: null,
      last_used_at: null,
    };
    const created: CreatedApiKey = { ...toApiKey(row, this.#store.wire), key };
    await this.#store.writer.write(async (ctx) => {
      await ctx.trx.insertInto('api_keys').values(row).execute();
      if (record) await record(ctx, created);
    });
    return created;
  }

  async list(input: { tenantId: string; limit: number; cursor?: string }): Promise<Page<ApiKey>> {
    let q = this.#store.db.selectFrom('api_keys').selectAll().where('tenant_id', '=', input.tenantId);
    const page = await newestFirstPage(q, { cursor: input.cursor, limit: input.limit, timeColumn: 'created_at', keyColumn: 'id', cursorOf: (r) => [r.created_at, r.id] });
    return { data: page.rows.map((r) => toApiKey(r, this.#store.wire)), next_cursor: page.next_cursor };
  }

  async revoke(input: { tenantId: string; id: string }): Promise<ApiKey> {
    this.#cache.clear();
    return this.#store.writer.write(async ({ trx, now }) => {
      const row = await trx.selectFrom('api_keys').selectAll().where('tenant_id', '=', input.tenantId).where('id', '=', input.id).executeTakeFirst();
      if (!row) throw new DomainError('KEY_NOT_FOUND', `no API key ${input.id}`);
      if (row.revoked_at !== null) return toApiKey(row, this.#store.wire);
      await trx.updateTable('api_keys').set({ revoked_at: now }).where('tenant_id', '=', row.tenant_id).where('id', '=', row.id).execute();
      this.#cache.clear(); // again: a request may have cached the key while this committed
      return toApiKey({ ...row, revoked_at: now }, this.#store.wire);
    });
  }

  /**
   * The principal for a presented key, or null (unknown, revoked or expired: the caller answers
   * 401 alike). Looks up by hash, compares in constant time.
   */
  async authenticate(presented: string): Promise<Principal | null> {
    if (presented.length < 16 || presented.length > 256) return null;
    const hash = hashKey(presented);
    const now = this.#clock.now();
    const cached = this.#cache.get(hash);
    // Expiry is checked on every request, cached or not: the cache must not extend a key's life.
    if (cached) return cached.expiresAt !== null && cached.expiresAt <= now ? null : toPrincipal(cached);
    // A key names its tenant: it is looked up by its hash before any tenant is known.
    const row = await this.#store.allTenants(this.#store.db).selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    if (!row || row.revoked_at !== null) return null;
    if (!timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return null;
    if (row.expires_at !== null && row.expires_at <= now) return null;
    if (row.last_used_at === null || now - row.last_used_at > LAST_USED_RESOLUTION_MS) {
      // Best effort and off the request's path: a lost last_used_at update harms nobody, but it is logged.
      void this.#store.writer
        .write(async ({ trx }) => {
          await trx.updateTable('api_keys').set({ last_used_at: now }).where('tenant_id', '=', row.tenant_id).where('id', '=', row.id).execute();
        })
        .catch((err: unknown) => this.#store.loops.log.warn({ key_id: row.id, tenant_id: row.tenant_id, err: errorContext(err) }, "agentd: could not record an API key's last use"));
    }
    const agents = row.agents === null ? null : Object.freeze(JSON.parse(row.agents) as string[]);
    const principal: Principal = { tenantId: row.tenant_id, keyId: row.id, keyName: row.name, role: row.role as Role, agents };
    this.#cache.set(hash, { ...principal, expiresAt: row.expires_at });
    return principal;
  }

  async countActiveAdmins(tenantId: string): Promise<number> {
    const r = await this.#store.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('role', '=', 'admin')
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async findByPlaintext(key: string): Promise<ApiKey | null> {
    // Lookup by hash, before any tenant is known (the admin key a server is seeded with).
    const row = await this.#store.allTenants(this.#store.db).selectFrom('api_keys').selectAll().where('hash', '=', hashKey(key)).executeTakeFirst();
    return row ? toApiKey(row, this.#store.wire) : null;
  }
}
