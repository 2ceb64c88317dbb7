import { timingSafeEqual } from 'node:crypto';
import type { FieldProblem, Page, Trigger, TriggerAuthMode, TriggerCreateParams, TriggerDeleted, TriggerDelivery, TriggerDeliveryOutcome, TriggerRateLimit, TriggerTarget, TriggerUpdateParams, TriggerWithSecret } from '@agentd/protocol';
import { canonicalJson, DomainError } from '../core/index.ts';
import type { AgentService } from '../agents/index.ts';
import type { SecretService } from '../secrets/index.ts';
import { newestFirstPage, type Store, type TriggersTable, type WriteContext } from '../store/index.ts';
import type { WorkflowService } from '../workflows/index.ts';
import { toTrigger, toTriggerDelivery } from './trigger-codec.ts';
import { compileMapping } from './trigger-mapping.ts';
import { newTriggerSecret, secretProblems } from './trigger-secrets.ts';

/** Records an Idempotency-Key's answer in the transaction of the change. */
export type TriggerRecorder<T> = ((ctx: WriteContext, response: T) => Promise<void>) | undefined;

/** How long a rotated-out secret still verifies, unless the caller says. */
export const DEFAULT_TRIGGER_OVERLAP_S = 86_400;
/** Deliveries per trigger unless it says: bursts of 600, 10 a second sustained. */
export const DEFAULT_TRIGGER_RATE: TriggerRateLimit = { count: 600, period_seconds: 60 };

/** What a config file's `triggers:` entry declares (see TriggerService.putByName). */
export interface TriggerSpec {
  description?: string | null;
  target: TriggerTarget;
  auth?: TriggerAuthMode;
  mapping?: TriggerCreateParams['mapping'];
  rate_limit?: TriggerRateLimit;
  /** The secret, resolved from its reference (`env:NAME`, `file:path`) by the caller. */
  secret: string;
}

export type TriggerChange = 'added' | 'changed' | 'unchanged';

const notFound = (id: string) => new DomainError('TRIGGER_NOT_FOUND', `no trigger ${JSON.stringify(id)}`);
const nameTaken = (name: string) => new DomainError('TRIGGER_NAME_TAKEN', `another trigger is named ${JSON.stringify(name)}`, { name });

/**
 * Inbound webhook triggers of a tenant: create (the secret shown once, or the sender's own),
 * read, update, rotate the secret with an overlap, delete, and the delivery log. Secrets are
 * sealed by the vault (trigger_secrets); the plaintext is in the create and rotate answers only.
 * `putByName`/`deleteByName` are the declarative seam: a config file's `triggers:` section
 * applies each entry by name and gets back what changed.
 */
export class TriggerService {
  readonly #store: Store;
  readonly #secrets: SecretService;
  readonly #agents: AgentService;
  readonly #workflows: WorkflowService;

  constructor(opts: { store: Store; secrets: SecretService; agents: AgentService; workflows: WorkflowService }) {
    this.#store = opts.store;
    this.#secrets = opts.secrets;
    this.#agents = opts.agents;
    this.#workflows = opts.workflows;
  }

  /** The target exists (404 naming the field otherwise) and the mapping compiles (422 TRIGGER_INVALID). */
  async #validate(tenantId: string, input: { target?: TriggerTarget; mapping?: TriggerCreateParams['mapping'] }): Promise<void> {
    const problems: FieldProblem[] = [];
    if (input.mapping !== undefined) compileMapping(input.mapping, 'body.mapping', problems);
    if (problems.length > 0) throw new DomainError('TRIGGER_INVALID', `the mapping cannot be used: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
    const t = input.target;
    if (!t) return;
    const named = (err: unknown, field: string): never => {
      if (err instanceof DomainError && ['AGENT_NOT_FOUND', 'ENDPOINT_NOT_FOUND', 'WORKFLOW_NOT_FOUND'].includes(err.code)) {
        throw new DomainError(err.code, `target: ${err.message}`, [{ path: `body.target.${field}`, message: err.message }]);
      }
      throw err;
    };
    if ('workflow' in t) await this.#workflows.resolve(tenantId, t.workflow).catch((e: unknown) => named(e, 'workflow'));
    else await this.#agents.resolveLatest(tenantId, t.agent, t.endpoint).catch((e: unknown) => named(e, e instanceof DomainError && e.code === 'ENDPOINT_NOT_FOUND' ? 'endpoint' : 'agent'));
  }

  #secretOf(auth: TriggerAuthMode, given: string | undefined, path: string): string {
    if (given === undefined) return newTriggerSecret(auth);
    const problems = secretProblems(auth, given, path);
    if (problems.length > 0) throw new DomainError('TRIGGER_INVALID', `the secret cannot be used: ${problems[0].message}`, problems);
    return given;
  }

  async create(input: TriggerCreateParams & { tenantId: string; base?: string }, record?: TriggerRecorder<TriggerWithSecret>): Promise<TriggerWithSecret> {
    const auth = input.auth ?? 'signature';
    const secret = this.#secretOf(auth, input.secret, 'body.secret');
    await this.#validate(input.tenantId, input);
    const rate = input.rate_limit ?? DEFAULT_TRIGGER_RATE;
    return this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      const row: TriggersTable = {
        tenant_id: input.tenantId,
        id: this.#store.ids.next('trg', now),
        name: input.name ?? null,
        description: input.description ?? null,
        target: JSON.stringify(input.target),
        auth,
        mapping: input.mapping ? JSON.stringify(input.mapping) : null,
        rate_count: rate.count,
        rate_period_ms: rate.period_seconds * 1000,
        secret_version: 1,
        created_at: now,
        updated_at: now,
      };
      const inserted = await trx.insertInto('triggers').values(row).onConflict((oc) => oc.columns(['tenant_id', 'name']).where('name', 'is not', null).doNothing()).returning('id').executeTakeFirst();
      if (!inserted) throw nameTaken(row.name ?? '');
      await this.#insertSecret(ctx, row, secret);
      const answer = { ...toTrigger(row, this.#store.wire, input.base), secret };
      if (record) await record(ctx, answer);
      return answer;
    });
  }

  async list(input: { tenantId: string; limit: number; cursor?: string; base?: string }): Promise<Page<Trigger>> {
    const q = this.#store.db.selectFrom('triggers').selectAll().where('tenant_id', '=', input.tenantId);
    const page = await newestFirstPage(q, { cursor: input.cursor, limit: input.limit, timeColumn: 'created_at', keyColumn: 'id', cursorOf: (r) => [Number(r.created_at), r.id] });
    return { data: page.rows.map((r) => toTrigger(r, this.#store.wire, input.base)), next_cursor: page.next_cursor };
  }

  async retrieve(input: { tenantId: string; id: string; base?: string }): Promise<Trigger> {
    const row = await this.#store.db.selectFrom('triggers').selectAll().where('tenant_id', '=', input.tenantId).where('id', '=', input.id).executeTakeFirst();
    if (!row) throw notFound(input.id);
    return toTrigger(row, this.#store.wire, input.base);
  }

  async update(input: TriggerUpdateParams & { tenantId: string; id: string; base?: string }): Promise<Trigger> {
    await this.#validate(input.tenantId, input);
    return this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      if (input.name) {
        const other = await trx.selectFrom('triggers').select('id').where('tenant_id', '=', input.tenantId).where('name', '=', input.name).where('id', '!=', input.id).executeTakeFirst();
        if (other) throw nameTaken(input.name);
      }
      const row = await trx
        .updateTable('triggers')
        .set({
          updated_at: now,
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.target !== undefined ? { target: JSON.stringify(input.target) } : {}),
          ...(input.mapping !== undefined ? { mapping: input.mapping === null ? null : JSON.stringify(input.mapping) } : {}),
          ...(input.rate_limit !== undefined ? { rate_count: input.rate_limit.count, rate_period_ms: input.rate_limit.period_seconds * 1000 } : {}),
        })
        .where('tenant_id', '=', input.tenantId)
        .where('id', '=', input.id)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound(input.id);
      return toTrigger(row, this.#store.wire, input.base);
    });
  }

  /** Deletes the trigger, its secrets, receipts and delivery log: its URL answers 401 from the commit on. */
  async delete(input: { tenantId: string; id: string }): Promise<TriggerDeleted> {
    return this.#store.writer.write(async ({ trx }) => {
      const r = await trx.deleteFrom('triggers').where('tenant_id', '=', input.tenantId).where('id', '=', input.id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw notFound(input.id);
      for (const table of ['trigger_secrets', 'trigger_receipts', 'trigger_deliveries'] as const) {
        await trx.deleteFrom(table).where('tenant_id', '=', input.tenantId).where('trigger_id', '=', input.id).execute();
      }
      return { id: input.id, deleted: true as const };
    });
  }

  /**
   * A new secret (made here, or the sender's). The previous one still verifies for
   * `overlapSeconds`, so the sender can switch without a delivery refused; older ones stop now.
   */
  async rotateSecret(input: { tenantId: string; id: string; overlapSeconds?: number; secret?: string; base?: string }, record?: TriggerRecorder<TriggerWithSecret>): Promise<TriggerWithSecret> {
    const current = await this.#store.db.selectFrom('triggers').select('auth').where('tenant_id', '=', input.tenantId).where('id', '=', input.id).executeTakeFirst();
    if (!current) throw notFound(input.id);
    const secret = this.#secretOf(current.auth as TriggerAuthMode, input.secret, 'body.secret');
    const overlapMs = (input.overlapSeconds ?? DEFAULT_TRIGGER_OVERLAP_S) * 1000;
    return this.#store.writer.write(async (ctx) => {
      const row = await this.#rotateIn(ctx, input.tenantId, input.id, secret, overlapMs);
      const answer = { ...toTrigger(row, this.#store.wire, input.base), secret };
      if (record) await record(ctx, answer);
      return answer;
    });
  }

  async #rotateIn(ctx: WriteContext, tenantId: string, id: string, secret: string, overlapMs: number): Promise<TriggersTable> {
    const { trx, now } = ctx;
    const row = await trx
      .updateTable('triggers')
      .set((eb) => ({ secret_version: eb('secret_version', '+', 1), updated_at: now }))
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound(id);
    const previous = Number(row.secret_version) - 1;
    const live = trx.updateTable('trigger_secrets').where('tenant_id', '=', tenantId).where('trigger_id', '=', id);
    await live.set({ verifies_until: now }).where('version', '<', previous).where((eb) => eb.or([eb('verifies_until', 'is', null), eb('verifies_until', '>', now)])).execute();
    await live.set({ verifies_until: now + overlapMs }).where('version', '=', previous).execute();
    await this.#insertSecret(ctx, row, secret);
    return row;
  }

  async deliveries(input: { tenantId: string; triggerId: string; limit: number; cursor?: string; outcome?: TriggerDeliveryOutcome }): Promise<Page<TriggerDelivery>> {
    await this.retrieve({ tenantId: input.tenantId, id: input.triggerId });
    let q = this.#store.db.selectFrom('trigger_deliveries').selectAll().where('tenant_id', '=', input.tenantId).where('trigger_id', '=', input.triggerId);
    if (input.outcome) q = q.where('outcome', '=', input.outcome);
    const page = await newestFirstPage(q, { cursor: input.cursor, limit: input.limit, timeColumn: 'received_at', keyColumn: 'id', cursorOf: (r) => [Number(r.received_at), r.id] });
    return { data: page.rows.map((r) => toTriggerDelivery(r, this.#store.wire)), next_cursor: page.next_cursor };
  }

  /**
   * The declarative seam: makes the tenant's trigger named `name` be `spec`. Absent: created
   * (`added`). Present: its fields are set to the spec's (`changed` when any differed), and a
   * secret other than its current one is rotated in with the default overlap, so senders still
   * signing with the old one keep getting through. The auth mode of an existing trigger cannot
   * change this way (TRIGGER_INVALID: delete it first).
   */
  async putByName(tenantId: string, name: string, spec: TriggerSpec, opts: { overlapSeconds?: number } = {}): Promise<{ trigger: Trigger; change: TriggerChange }> {
    const auth = spec.auth ?? 'signature';
    const existing = await this.#store.db.selectFrom('triggers').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
    if (!existing) {
      const created = await this.create({ tenantId, name, description: spec.description ?? null, target: spec.target, auth, secret: spec.secret, mapping: spec.mapping ?? null, rate_limit: spec.rate_limit });
      const { secret: _shown, ...trigger } = created;
      return { trigger, change: 'added' };
    }
    if (existing.auth !== auth) throw new DomainError('TRIGGER_INVALID', `trigger ${name} uses ${existing.auth} auth; delete it to change to ${auth}`, [{ path: 'auth', message: `is ${existing.auth}` }]);
    this.#secretOf(auth, spec.secret, 'secret');
    const rate = spec.rate_limit ?? DEFAULT_TRIGGER_RATE;
    const want = { description: spec.description ?? null, target: spec.target, mapping: spec.mapping ?? null, rate_limit: rate };
    const before = toTrigger(existing, this.#store.wire);
    const fieldsDiffer = canonicalJson({ description: before.description, target: before.target, mapping: before.mapping, rate_limit: before.rate_limit }) !== canonicalJson(want);
    const secretDiffers = (await this.#currentSecret(existing)) !== spec.secret;
    if (!fieldsDiffer && !secretDiffers) return { trigger: before, change: 'unchanged' };
    if (fieldsDiffer) await this.#validate(tenantId, want);
    const overlapMs = (opts.overlapSeconds ?? DEFAULT_TRIGGER_OVERLAP_S) * 1000;
    const trigger = await this.#store.writer.write(async (ctx) => {
      let row = existing;
      if (secretDiffers) row = await this.#rotateIn(ctx, tenantId, existing.id, spec.secret, overlapMs);
      const updated = await ctx.trx
        .updateTable('triggers')
        .set({ description: want.description, target: JSON.stringify(want.target), mapping: want.mapping === null ? null : JSON.stringify(want.mapping), rate_count: rate.count, rate_period_ms: rate.period_seconds * 1000, updated_at: ctx.now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw notFound(name);
      return toTrigger(updated, this.#store.wire);
    });
    return { trigger, change: 'changed' };
  }

  /** The declarative seam's removal: deletes the trigger named `name`; false when there is none. */
  async deleteByName(tenantId: string, name: string): Promise<boolean> {
    const row = await this.#store.db.selectFrom('triggers').select('id').where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
    if (!row) return false;
    await this.delete({ tenantId, id: row.id }).catch((err: unknown) => {
      if (!(err instanceof DomainError && err.code === 'TRIGGER_NOT_FOUND')) throw err;
    });
    return true;
  }

  /** The tenant's named triggers (the declarative seam compares its file against these). */
  async listNamed(tenantId: string): Promise<Trigger[]> {
    const rows = await this.#store.db.selectFrom('triggers').selectAll().where('tenant_id', '=', tenantId).where('name', 'is not', null).orderBy('name').execute();
    return rows.map((r) => toTrigger(r, this.#store.wire));
  }

  /** Whether the tenant's trigger named `name` verifies with `secret` as its current one (a config reload's check for a new value behind the same reference). */
  async currentSecretIs(tenantId: string, name: string, secret: string): Promise<boolean> {
    const row = await this.#store.db.selectFrom('triggers').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
    if (!row) return false;
    const current = await this.#currentSecret(row);
    return current !== null && current.length === secret.length && timingSafeEqual(Buffer.from(current), Buffer.from(secret));
  }

  async #currentSecret(row: TriggersTable): Promise<string | null> {
    const s = await this.#store.db.selectFrom('trigger_secrets').selectAll().where('tenant_id', '=', row.tenant_id).where('trigger_id', '=', row.id).where('version', '=', Number(row.secret_version)).executeTakeFirst();
    return s ? this.#secrets.openTriggerSecret({ tenantId: row.tenant_id, triggerId: row.id, version: Number(s.version) }, s) : null;
  }

  async #insertSecret(ctx: WriteContext, row: TriggersTable, secret: string): Promise<void> {
    const version = Number(row.secret_version);
    const sealed = this.#secrets.sealTriggerSecret({ tenantId: row.tenant_id, triggerId: row.id, version }, secret);
    await ctx.trx.insertInto('trigger_secrets').values({ tenant_id: row.tenant_id, trigger_id: row.id, version, ...sealed, created_at: ctx.now, verifies_until: null }).execute();
  }
}
