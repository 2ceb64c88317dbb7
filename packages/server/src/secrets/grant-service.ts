import type { Grant, Page } from '@agentd/protocol';
import type { Store } from '../store/index.ts';
import type { GrantsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { AgentService } from '../agents/index.ts';
import type { WireFormat } from '../core/index.ts';
import { newestFirstPage } from '../store/index.ts';

export type GrantRecorder = ((ctx: WriteContext, response: Grant) => Promise<void>) | undefined;

export function toGrant(row: GrantsTable, wire: WireFormat): Grant {
  return {
    id: row.id,
    secret: row.secret,
    agent: row.agent,
    endpoint: row.endpoint,
    created_by: row.created_by,
    created_at: wire.iso(row.created_at),
    revoked_at: wire.isoOrNull(row.revoked_at),
  };
}

export interface GrantFilter {
  tenantId: string;
  agent?: string;
  secret?: string;
  /** Revoked grants too. Default: only active ones. */
  includeRevoked?: boolean;
  limit: number;
  cursor?: string;
}

/** Which agent (and endpoint) may receive which secret. Checked at every lease, so a revocation applies to the next one. */
export class GrantService {
  readonly #store: Store;
  readonly #agents: AgentService;
  readonly #onChange: (tenantId: string) => void;

  /** `onChange`: after a grant is made or revoked (SecretDelivery forgets the tenant's scrubbers). */
  constructor(store: Store, agents: AgentService, opts: { onChange?: (tenantId: string) => void } = {}) {
    this.#store = store;
    this.#agents = agents;
    this.#onChange = opts.onChange ?? (() => {});
  }

  /**
   * Grants a secret to an agent, or to one endpoint of it. The secret and the agent (and the
   * endpoint, in its latest version) must exist: a typo would otherwise grant nothing, silently.
   * Granting what is already granted returns the existing grant.
   */
  async create(input: { tenantId: string; secret: string; agent: string; endpoint?: string | null; createdBy: string | null }, opts: { record?: GrantRecorder } = {}): Promise<Grant> {
    const { record } = opts;
    const endpoint = input.endpoint ?? null;
    if (endpoint === null) await this.#agents.get(input.tenantId, input.agent);
    else await this.#agents.resolveLatest(input.tenantId, input.agent, endpoint);
    const made = await this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      const secret = await trx.selectFrom('secrets').select('name').where('tenant_id', '=', input.tenantId).where('name', '=', input.secret).where('deleted_at', 'is', null).executeTakeFirst();
      if (!secret) throw new DomainError('SECRET_NOT_FOUND', `no secret named ${JSON.stringify(input.secret)}`);
      let q = trx
        .selectFrom('grants')
        .selectAll()
        .where('tenant_id', '=', input.tenantId)
        .where('secret', '=', input.secret)
        .where('agent', '=', input.agent)
        .where('revoked_at', 'is', null);
      q = endpoint === null ? q.where('endpoint', 'is', null) : q.where('endpoint', '=', endpoint);
      const existing = await q.executeTakeFirst();
      let grant: Grant;
      if (existing) grant = toGrant(existing, this.#store.wire);
      else {
        const row: GrantsTable = { id: this.#store.ids.next('grt', now), tenant_id: input.tenantId, secret: input.secret, agent: input.agent, endpoint, created_by: input.createdBy, created_at: now, revoked_at: null };
        await trx.insertInto('grants').values(row).execute();
        grant = toGrant(row, this.#store.wire);
      }
      if (record) await record(ctx, grant);
      return grant;
    });
    this.#onChange(input.tenantId);
    return made;
  }

  async list(f: GrantFilter): Promise<Page<Grant>> {
    let q = this.#store.db.selectFrom('grants').selectAll().where('tenant_id', '=', f.tenantId);
    if (f.agent) q = q.where('agent', '=', f.agent);
    if (f.secret) q = q.where('secret', '=', f.secret);
    if (!f.includeRevoked) q = q.where('revoked_at', 'is', null);
    const page = await newestFirstPage(q, { cursor: f.cursor, limit: f.limit, timeColumn: 'created_at', keyColumn: 'id', cursorOf: (r) => [r.created_at, r.id] });
    return { data: page.rows.map((r) => toGrant(r, this.#store.wire)), next_cursor: page.next_cursor };
  }

  /** Revokes a grant; leases taken from now on no longer carry the secret. Repeating it changes nothing. */
  async revoke(input: { tenantId: string; id: string }): Promise<Grant> {
    const revoked = await this.#store.writer.write(async ({ trx, now }) => {
      const row = await trx.selectFrom('grants').selectAll().where('tenant_id', '=', input.tenantId).where('id', '=', input.id).executeTakeFirst();
      if (!row) throw new DomainError('GRANT_NOT_FOUND', `no grant ${JSON.stringify(input.id)}`);
      if (row.revoked_at !== null) return toGrant(row, this.#store.wire);
      await trx.updateTable('grants').set({ revoked_at: now }).where('tenant_id', '=', input.tenantId).where('id', '=', row.id).execute();
      return toGrant({ ...row, revoked_at: now }, this.#store.wire);
    });
    this.#onChange(input.tenantId);
    return revoked;
  }
}
