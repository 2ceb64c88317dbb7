import type { Page, Secret, SecretDeleted, SecretDetail, SecretRewrapResult } from '@agentd/protocol';
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Store } from '../store/index.ts';
import type { SecretsTable, SecretVersionsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { Keyring } from './master-key.ts';
import type { WireFormat } from '../core/index.ts';
import { rewrapWebhookSecrets } from './webhook-secret-rewrap.ts';
import { rewrapTriggerSecrets } from './trigger-secret-rewrap.ts';
import { newestFirstPage } from '../store/index.ts';
import { openResponse, openSecret, openTriggerSecret, openWebhookSecret, rewrapSecret, sealResponse, sealSecret, sealTriggerSecret, sealWebhookSecret, type TriggerSecretAddress, type ResponseAddress, type SealedSecret, type SecretAddress, type WebhookSecretAddress } from './secret-crypto.ts';

/** Hands the caller's idempotency recorder the transaction of the change. */
export type SecretRecorder<T> = ((ctx: WriteContext, response: T) => Promise<void>) | undefined;

/** Versions re-wrapped per transaction: bounded so a large vault does not hold one long write. */
const REWRAP_CHUNK = 200;

const notFound = (name: string) => new DomainError('SECRET_NOT_FOUND', `no secret named ${JSON.stringify(name)}`);

function toSecret(row: SecretsTable, kekId: string, wire: WireFormat): Secret {
  return {
    name: row.name,
    description: row.description,
    version: row.current_version,
    kek_id: kekId,
    created_at: wire.iso(row.created_at),
    updated_at: wire.iso(row.updated_at),
  };
}

/**
 * The per-tenant vault: values go in encrypted (see secret-crypto.ts) and never come out
 * through here except to `readValue`, which only the lease delivery and scrubbing call.
 */
export class SecretService {
  readonly #store: Store;
  readonly #keyring: Keyring | null;
  #fingerprintKey: Buffer | null = null;
  readonly #onChange: (tenantId: string) => void;

  /** `onChange`: after a secret gains a version or is deleted (SecretDelivery forgets the tenant's scrubbers). */
  constructor(store: Store, keyring: Keyring | null, opts: { onChange?: (tenantId: string) => void } = {}) {
    this.#store = store;
    this.#keyring = keyring;
    this.#onChange = opts.onChange ?? (() => {});
  }

  get keyring(): Keyring {
    // createEngine without a keyring (the OpenAPI generator) never touches a secret.
    if (!this.#keyring) throw new Error('no master key is configured: secrets cannot be stored or read');
    return this.#keyring;
  }

  /**
   * A keyed fingerprint of a value (HMAC with a key derived from the master key): lets the
   * idempotency record tell two requests apart without storing a hash anyone could brute-force.
   */
  fingerprint(value: string): string {
    this.#fingerprintKey ??= this.keyring.derive('idempotency fingerprint');
    return `hmac:${createHmac('sha256', this.#fingerprintKey).update(value, 'utf8').digest('base64url')}`;
  }

  /** Seals a response that holds key material for its idempotency record (AAD: tenant, route, key). */
  sealResponse(address: ResponseAddress, text: string): SealedSecret {
    return sealResponse(this.keyring, address, text);
  }

  /** The sealed response's text; SECRET_UNREADABLE when it was moved, tampered or its master key is gone. */
  openResponse(address: ResponseAddress, sealed: SealedSecret): string {
    return openResponse(this.keyring, address, sealed);
  }

  /** Seals a webhook subscription's signing secret (AAD: tenant, subscription, version). */
  sealWebhookSecret(address: WebhookSecretAddress, value: string): SealedSecret {
    return sealWebhookSecret(this.keyring, address, value);
  }

  /** A webhook's signing secret, to sign a delivery with; SECRET_UNREADABLE when it fails authentication. Never for an API response. */
  openWebhookSecret(address: WebhookSecretAddress, sealed: SealedSecret): string {
    return openWebhookSecret(this.keyring, address, sealed);
  }

  /** Seals an inbound trigger's secret (AAD: tenant, trigger, version). */
  sealTriggerSecret(address: TriggerSecretAddress, value: string): SealedSecret {
    return sealTriggerSecret(this.keyring, address, value);
  }

  /** A trigger's secret, to verify a delivery with; SECRET_UNREADABLE when it fails authentication. Never for an API response. */
  openTriggerSecret(address: TriggerSecretAddress, sealed: SealedSecret): string {
    return openTriggerSecret(this.keyring, address, sealed);
  }

  /** Creates a secret at version 1 (or, for a name deleted before, the next unused version). */
  async create(input: { tenantId: string; name: string; value: string; description?: string | null }, opts: { record?: SecretRecorder<Secret> } = {}): Promise<Secret> {
    const { record } = opts;
    const keyring = this.keyring;
    const created = await this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      // Versions of a deleted name are never reused: an old ciphertext can never match a new version.
      const row = await trx
        .insertInto('secrets')
        .values({ tenant_id: input.tenantId, name: input.name, current_version: 1, description: input.description ?? null, created_at: now, updated_at: now, deleted_at: null })
        .onConflict((oc) =>
          oc
            .columns(['tenant_id', 'name'])
            .doUpdateSet({
              current_version: sql<number>`secrets.current_version + 1`,
              description: input.description ?? null,
              created_at: now,
              updated_at: now,
              deleted_at: null,
            })
            .where('secrets.deleted_at', 'is not', null),
        )
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new DomainError('SECRET_EXISTS', `a secret named ${JSON.stringify(input.name)} exists; rotate it to add a version`, { name: input.name });
      const secret = await this.#insertVersion(ctx, keyring, row, input.value);
      if (record) await record(ctx, secret);
      return secret;
    });
    this.#onChange(input.tenantId);
    return created;
  }

  /** Adds a version holding the new value; it is what the next lease delivers. */
  async rotate(input: { tenantId: string; name: string; value: string; description?: string | null }, opts: { record?: SecretRecorder<Secret> } = {}): Promise<Secret> {
    const { record } = opts;
    const keyring = this.keyring;
    const rotated = await this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      // Bumping first takes the row lock: concurrent rotations get distinct versions.
      const row = await trx
        .updateTable('secrets')
        .set({ current_version: sql<number>`current_version + 1`, updated_at: now, ...(input.description !== undefined ? { description: input.description } : {}) })
        .where('tenant_id', '=', input.tenantId)
        .where('name', '=', input.name)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound(input.name);
      const secret = await this.#insertVersion(ctx, keyring, row, input.value);
      if (record) await record(ctx, secret);
      return secret;
    });
    this.#onChange(input.tenantId);
    return rotated;
  }

  async #insertVersion(ctx: WriteContext, keyring: Keyring, row: SecretsTable, value: string): Promise<Secret> {
    const version = Number(row.current_version);
    const sealed = sealSecret(keyring, { tenantId: row.tenant_id, name: row.name, version }, value);
    await ctx.trx
      .insertInto('secret_versions')
      .values({ tenant_id: row.tenant_id, name: row.name, version, ...sealed, created_at: ctx.now })
      .execute();
    return toSecret({ ...row, current_version: version }, sealed.kek_id, this.#store.wire);
  }

  async list(input: { tenantId: string; limit: number; cursor?: string }): Promise<Page<Secret>> {
    let q = this.#store.db
      .selectFrom('secrets as s')
      .innerJoin('secret_versions as v', (j) => j.onRef('v.tenant_id', '=', 's.tenant_id').onRef('v.name', '=', 's.name').onRef('v.version', '=', 's.current_version'))
      .selectAll('s')
      .select('v.kek_id')
      .where('s.tenant_id', '=', input.tenantId)
      .where('s.deleted_at', 'is', null);
    const page = await newestFirstPage(q, { cursor: input.cursor, limit: input.limit, timeColumn: 's.created_at', keyColumn: 's.name', cursorOf: (r) => [r.created_at, r.name] });
    return { data: page.rows.map((r) => toSecret(r, r.kek_id, this.#store.wire)), next_cursor: page.next_cursor };
  }

  async #row(tenantId: string, name: string): Promise<SecretsTable> {
    const row = await this.#store.db.selectFrom('secrets').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).where('deleted_at', 'is', null).executeTakeFirst();
    if (!row) throw notFound(name);
    return row;
  }

  async retrieve(input: { tenantId: string; name: string }): Promise<SecretDetail> {
    const row = await this.#row(input.tenantId, input.name);
    const versions = await this.#store.db
      .selectFrom('secret_versions')
      .select(['version', 'kek_id', 'created_at'])
      .where('tenant_id', '=', input.tenantId)
      .where('name', '=', input.name)
      .orderBy('version', 'desc')
      .execute();
    const current = versions.find((v) => Number(v.version) === Number(row.current_version));
    return {
      ...toSecret(row, current?.kek_id ?? '', this.#store.wire),
      versions: versions.map((v) => ({ version: Number(v.version), kek_id: v.kek_id, created_at: this.#store.wire.iso(v.created_at) })),
    };
  }

  /** Whether a live secret of this name exists (for grants). */
  async exists(tenantId: string, name: string): Promise<boolean> {
    // Only "not found" answers false: a database error is an error, not a missing secret.
    const row = await this.#row(tenantId, name).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'SECRET_NOT_FOUND') return null;
      throw err;
    });
    return row !== null;
  }

  /**
   * Deletes the secret: its versions (ciphertexts and wrapped keys) are erased, its grants
   * revoked. The name may be used again; its versions then continue from the old numbers.
   */
  async delete(input: { tenantId: string; name: string }): Promise<SecretDeleted> {
    const deleted = await this.#store.writer.write(async ({ trx, now }): Promise<SecretDeleted> => {
      const row = await trx
        .updateTable('secrets')
        .set({ deleted_at: now, updated_at: now, description: null })
        .where('tenant_id', '=', input.tenantId)
        .where('name', '=', input.name)
        .where('deleted_at', 'is', null)
        .returning('name')
        .executeTakeFirst();
      if (!row) throw notFound(input.name);
      await trx.deleteFrom('secret_versions').where('tenant_id', '=', input.tenantId).where('name', '=', input.name).execute();
      const revoked = await trx
        .updateTable('grants')
        .set({ revoked_at: now })
        .where('tenant_id', '=', input.tenantId)
        .where('secret', '=', input.name)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return { name: input.name, deleted: true, grants_revoked: Number(revoked.numUpdatedRows) };
    });
    this.#onChange(input.tenantId);
    return deleted;
  }

  /** Decrypts one stored version; SECRET_UNREADABLE when it fails authentication. Never for an API response. */
  decrypt(row: SecretVersionsTable): string {
    return openSecret(this.keyring, { tenantId: row.tenant_id, name: row.name, version: Number(row.version) }, row);
  }

  /** The current (or a given) version's plaintext. For delivery, scrubbing and tests only. */
  async readValue(input: { tenantId: string; name: string; version?: number }): Promise<string> {
    const version = input.version ?? Number((await this.#row(input.tenantId, input.name)).current_version);
    const row = await this.#store.db
      .selectFrom('secret_versions')
      .selectAll()
      .where('tenant_id', '=', input.tenantId)
      .where('name', '=', input.name)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw new DomainError('SECRET_NOT_FOUND', `secret ${JSON.stringify(input.name)} has no version ${version}`);
    return this.decrypt(row);
  }

  /**
   * Re-wraps the data key of every version of the tenant's secrets (and of its webhook signing
   * secrets) that is not under the current master key yet. Values are not re-encrypted. Versions that cannot be unwrapped (their key is
   * not configured, or they fail authentication) are reported and left as they are.
   */
  async rewrap(input: { tenantId: string }): Promise<SecretRewrapResult> {
    const keyring = this.keyring;
    const result: SecretRewrapResult = { kek_id: keyring.current.id, rewrapped: 0, failed: [] };
    let after: { name: string; version: number } | null = null;
    for (;;) {
      let q = this.#store.db
        .selectFrom('secret_versions')
        .selectAll()
        .where('tenant_id', '=', input.tenantId)
        .where('kek_id', '!=', keyring.current.id);
      if (after) {
        const a = after;
        q = q.where((eb) => eb.or([eb('name', '>', a.name), eb.and([eb('name', '=', a.name), eb('version', '>', a.version)])]));
      }
      const rows = await q.orderBy('name').orderBy('version').limit(REWRAP_CHUNK).execute();
      if (rows.length === 0) break;
      const updates: { row: SecretVersionsTable; next: ReturnType<typeof rewrapSecret> }[] = [];
      for (const row of rows) {
        const a: SecretAddress = { tenantId: row.tenant_id, name: row.name, version: Number(row.version) };
        try {
          updates.push({ row, next: rewrapSecret(keyring, a, row) });
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          result.failed.push({ name: row.name, version: a.version, kek_id: row.kek_id, reason: err.message });
        }
      }
      const moved = await this.#store.writer.write(async ({ trx }) => {
        let n = 0;
        for (const { row, next } of updates) {
          // Compare-and-set on the old wrapping: a concurrent rewrap or delete wins cleanly.
          const r = await trx
            .updateTable('secret_versions')
            .set(next)
            .where('tenant_id', '=', row.tenant_id)
            .where('name', '=', row.name)
            .where('version', '=', row.version)
            .where('kek_id', '=', row.kek_id)
            .where('wrapped_dek', '=', row.wrapped_dek)
            .executeTakeFirst();
          n += Number(r.numUpdatedRows);
        }
        return n;
      });
      result.rewrapped += moved;
      const last = rows[rows.length - 1];
      after = { name: last.name, version: Number(last.version) };
    }
    await rewrapWebhookSecrets(this.#store, keyring, input.tenantId, result);
    await rewrapTriggerSecrets(this.#store, keyring, input.tenantId, result);
    return result;
  }

  /** Stored versions (and webhook signing secrets) whose master key this node does not hold, by key id (a startup check). */
  async unknownKeyVersions(): Promise<Map<string, number>> {
    // A startup check over every tenant's versions (counts by key id only).
    const count = (table: 'secret_versions' | 'webhook_secrets' | 'trigger_secrets') =>
      this.#store.allTenants(this.#store.db)
        .selectFrom(table)
        .select((eb) => ['kek_id', eb.fn.countAll<number>().as('n')])
        .groupBy('kek_id')
        .execute();
    const keyring = this.keyring;
    const unknown = new Map<string, number>();
    for (const r of [...(await count('secret_versions')), ...(await count('webhook_secrets')), ...(await count('trigger_secrets'))]) if (!keyring.get(r.kek_id)) unknown.set(r.kek_id, (unknown.get(r.kek_id) ?? 0) + Number(r.n));
    return unknown;
  }
}
