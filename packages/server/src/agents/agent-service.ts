import type { Agent, AgentManifest, AgentVersion, EndpointSpec, FieldProblem, Page } from '@agentd/protocol';
import { validateManifest, type ValidateFunction } from '@agentd/protocol/manifest';
import { LRUCache } from 'lru-cache';
import type { Store } from '../store/index.ts';
import type { Kysely } from 'kysely';
import type { AgentsTable, AgentVersionsTable, Database } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { keysetPage } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { WireFormat } from '../core/index.ts';
import { EndpointValidators } from './endpoint-validators.ts';

/** Lets a route record its idempotent response in the transaction of the change. */
export type AgentRecorder = (ctx: WriteContext, agent: Agent) => Promise<void>;

/** The endpoint a run is pinned to: its version's spec and compiled schemas. */
export interface ResolvedEndpoint {
  agent: string;
  version: number;
  endpoint: string;
  spec: EndpointSpec;
  enabled: boolean;
  validateInput: ValidateFunction;
  validateOutput: ValidateFunction;
}

function toAgent(agent: AgentsTable, version: AgentVersionsTable, wire: WireFormat): Agent {
  const manifest = JSON.parse(version.manifest) as AgentManifest;
  const specs = JSON.parse(version.endpoints) as Record<string, EndpointSpec>;
  const disabled = new Set(JSON.parse(agent.disabled_endpoints) as string[]);
  const endpoints: Agent['endpoints'] = {};
  for (const [name, spec] of Object.entries(specs)) endpoints[name] = { ...spec, enabled: !disabled.has(name) };
  return {
    name: agent.name,
    description: manifest.metadata.description ?? null,
    runtime: manifest.spec.runtime === 'llm' ? 'llm' : 'worker',
    version: version.version,
    endpoints,
    manifest,
    created_at: wire.iso(agent.created_at),
    updated_at: wire.iso(agent.updated_at),
  };
}

function toVersion(v: AgentVersionsTable, wire: WireFormat): AgentVersion {
  return { agent: v.agent, version: v.version, manifest: JSON.parse(v.manifest) as AgentManifest, created_at: wire.iso(v.created_at) };
}

/**
 * Agent rows are read on every run created and every lease. A change on this node clears the
 * entry at once; another node's deploy or enable/disable is seen within this window.
 */
const AGENT_CACHE_TTL_MS = 1000;

/** An agent row (or its absence) with its disabled endpoints parsed once. */
interface CachedAgent {
  row: AgentsTable | null;
  disabled: Set<string>;
}

/**
 * A version row with its endpoints parsed once: a run create or a completion reuses the parse
 * instead of parsing an agent's schemas again for every run. A Map, so an endpoint named
 * `constructor` or `toString` is looked up among the version's endpoints, never on a prototype.
 */
interface CachedVersion {
  row: AgentVersionsTable;
  endpoints: Map<string, EndpointSpec>;
}

export class AgentService {
  readonly #store: Store;
  readonly #validators = new EndpointValidators({ max: 1000 });
  readonly #agents = new LRUCache<string, CachedAgent>({ max: 10_000, ttl: AGENT_CACHE_TTL_MS });
  /** Versions are immutable: kept for as long as there is room. */
  readonly #versions = new LRUCache<string, CachedVersion>({ max: 2000 });

  constructor(store: Store) {
    this.#store = store;
  }

  /** Validates and stores a manifest as the agent's next immutable version; `record` runs in its transaction. */
  async deploy(tenantId: string, raw: unknown, opts: { record?: AgentRecorder } = {}): Promise<Agent> {
    const { record } = opts;
    const result = validateManifest(raw); // a fresh compiler: user schemas may reuse an $id
    if (!result.ok) throw new DomainError('MANIFEST_INVALID', 'the manifest is invalid', result.problems);
    const { name, manifest, endpoints, runtime } = result.value;
    this.#forget(tenantId, name);
    const deployed = await this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      const existing = await trx.selectFrom('agents').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
      const last = await trx
        .selectFrom('agent_versions')
        .select((eb) => eb.fn.max<number>('version').as('v'))
        .where('tenant_id', '=', tenantId)
        .where('agent', '=', name)
        .executeTakeFirst();
      const version = Number(last?.v ?? 0) + 1;
      const versionRow: AgentVersionsTable = {
        tenant_id: tenantId,
        agent: name,
        version,
        manifest: JSON.stringify(manifest),
        endpoints: JSON.stringify(endpoints),
        created_at: now,
      };
      await trx.insertInto('agent_versions').values(versionRow).execute();
      let agentRow: AgentsTable;
      if (existing) {
        // A redeploy after delete starts with every endpoint enabled again.
        const disabled = existing.deleted_at === null ? existing.disabled_endpoints : '[]';
        agentRow = { ...existing, latest_version: version, disabled_endpoints: disabled, updated_at: now, deleted_at: null, runtime };
        await trx
          .updateTable('agents')
          .set({ latest_version: version, disabled_endpoints: disabled, updated_at: now, deleted_at: null, runtime })
          .where('tenant_id', '=', tenantId)
          .where('name', '=', name)
          .execute();
      } else {
        agentRow = { tenant_id: tenantId, name, latest_version: version, disabled_endpoints: '[]', created_at: now, updated_at: now, deleted_at: null, runtime };
        await trx.insertInto('agents').values(agentRow).execute();
      }
      const agent = toAgent(agentRow, versionRow, this.#store.wire);
      if (record) await record(ctx, agent);
      return agent;
    });
    this.#forget(tenantId, name);
    return deployed;
  }

  async #agent(tenantId: string, name: string): Promise<{ row: AgentsTable; disabled: Set<string> }> {
    const key = `${tenantId}\u0000${name}`;
    let hit = this.#agents.get(key);
    if (hit === undefined) {
      const row =
        (await this.#store.db
          .selectFrom('agents')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('name', '=', name)
          .where('deleted_at', 'is', null)
          .executeTakeFirst()) ?? null;
      hit = { row, disabled: new Set(row ? (JSON.parse(row.disabled_endpoints) as string[]) : []) };
      this.#agents.set(key, hit);
    }
    if (!hit.row) throw new DomainError('AGENT_NOT_FOUND', `no agent named ${JSON.stringify(name)}`);
    return { row: hit.row, disabled: hit.disabled };
  }

  async #agentRow(tenantId: string, name: string): Promise<AgentsTable> {
    return (await this.#agent(tenantId, name)).row;
  }

  #forget(tenantId: string, name: string): void {
    this.#agents.delete(`${tenantId}\u0000${name}`);
  }

  /** `db`: the transaction when called inside a write (on SQLite it holds the only connection). */
  async #versionRow(tenantId: string, name: string, version: number, db?: Kysely<Database>): Promise<AgentVersionsTable> {
    return (await this.#version(tenantId, name, version, db)).row;
  }

  async #version(tenantId: string, name: string, version: number, db: Kysely<Database> = this.#store.db): Promise<CachedVersion> {
    const key = `${tenantId}\u0000${name}\u0000${version}`;
    const cached = this.#versions.get(key);
    if (cached) return cached;
    const row = await db
      .selectFrom('agent_versions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('agent', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw new DomainError('AGENT_NOT_FOUND', `agent ${JSON.stringify(name)} has no version ${version}`);
    const entry: CachedVersion = { row, endpoints: new Map(Object.entries(JSON.parse(row.endpoints) as Record<string, EndpointSpec>)) };
    this.#versions.set(key, entry);
    return entry;
  }

  /** The runtime of the agent's latest version (`worker`, `llm`), or null for no such agent. Cached like every agent row. */
  async runtimeOf(tenantId: string, name: string): Promise<string | null> {
    try {
      return (await this.#agentRow(tenantId, name)).runtime;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'AGENT_NOT_FOUND') return null;
      throw err;
    }
  }

  async get(tenantId: string, name: string): Promise<Agent> {
    const agent = await this.#agentRow(tenantId, name);
    return toAgent(agent, await this.#versionRow(tenantId, name, agent.latest_version), this.#store.wire);
  }

  async list(tenantId: string, opts: { limit: number; cursor?: string }): Promise<Page<Agent>> {
    let q = this.#store.db.selectFrom('agents').selectAll().where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
    if (opts.cursor) q = q.where('name', '>', opts.cursor);
    const page = await keysetPage(q.orderBy('name'), { limit: opts.limit, cursorOf: (row) => row.name });
    const data: Agent[] = [];
    for (const row of page.rows) data.push(toAgent(row, await this.#versionRow(tenantId, row.name, row.latest_version), this.#store.wire));
    return { data, next_cursor: page.next_cursor };
  }

  async versions(tenantId: string, name: string, opts: { limit: number; cursor?: string }): Promise<Page<AgentVersion>> {
    await this.#agentRow(tenantId, name);
    let q = this.#store.db.selectFrom('agent_versions').selectAll().where('tenant_id', '=', tenantId).where('agent', '=', name);
    const before = opts.cursor ? Number(opts.cursor) : NaN;
    // Versions are PostgreSQL INTEGERs: a larger cursor would be refused there (a 500), and means "all".
    if (Number.isInteger(before)) q = q.where('version', '<', Math.min(before, 2_147_483_647));
    const page = await keysetPage(q.orderBy('version', 'desc'), { limit: opts.limit, cursorOf: (v) => String(v.version) });
    return { data: page.rows.map((v) => toVersion(v, this.#store.wire)), next_cursor: page.next_cursor };
  }

  async version(tenantId: string, name: string, version: number): Promise<AgentVersion> {
    await this.#agentRow(tenantId, name);
    return toVersion(await this.#versionRow(tenantId, name, version), this.#store.wire);
  }

  /** Soft delete: versions stay, so runs already made keep their manifest. */
  async delete(tenantId: string, name: string): Promise<void> {
    this.#forget(tenantId, name);
    await this.#store.writer.write(async ({ trx, now }) => {
      const r = await trx
        .updateTable('agents')
        .set({ deleted_at: now, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('name', '=', name)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new DomainError('AGENT_NOT_FOUND', `no agent named ${JSON.stringify(name)}`);
    });
    this.#forget(tenantId, name);
  }

  /** Enables or disables one endpoint of the latest version; `record` runs in the transaction. */
  async setEndpointEnabled(input: { tenantId: string; agent: string; endpoint: string; enabled: boolean }, opts: { record?: AgentRecorder } = {}): Promise<Agent> {
    const { tenantId, agent: name, endpoint, enabled } = input;
    const { record } = opts;
    const agent = await this.#agentRow(tenantId, name);
    const { row: version, endpoints } = await this.#version(tenantId, name, agent.latest_version);
    if (!endpoints.has(endpoint)) throw new DomainError('ENDPOINT_NOT_FOUND', `agent ${name} has no endpoint ${JSON.stringify(endpoint)}`);
    const updated = await this.#store.writer.write(async (ctx) => {
      const { trx, now, wakes } = ctx;
      const row = await trx.selectFrom('agents').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirstOrThrow();
      const disabled = new Set(JSON.parse(row.disabled_endpoints) as string[]);
      if (enabled) disabled.delete(endpoint);
      else disabled.add(endpoint);
      const next = { ...row, disabled_endpoints: JSON.stringify([...disabled].sort()), updated_at: now };
      await trx.updateTable('agents').set({ disabled_endpoints: next.disabled_endpoints, updated_at: now }).where('tenant_id', '=', tenantId).where('name', '=', name).execute();
      if (enabled) wakes.add(`${tenantId}\u0000${name}`);
      const agent = toAgent(next, version, this.#store.wire);
      if (record) await record(ctx, agent);
      return agent;
    });
    this.#forget(tenantId, name);
    return updated;
  }

  /** Disabled endpoints of an agent, for the lease query. */
  async disabledEndpoints(tenantId: string, name: string): Promise<Set<string>> {
    const agent = await this.#agent(tenantId, name).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'AGENT_NOT_FOUND') return null;
      throw err;
    });
    return agent ? agent.disabled : new Set();
  }

  /** The latest version's endpoint, for creating a run. */
  async resolveLatest(tenantId: string, name: string, endpoint: string): Promise<ResolvedEndpoint> {
    const agent = await this.#agent(tenantId, name);
    const resolved = await this.resolve({ tenantId, agent: name, version: agent.row.latest_version, endpoint });
    return { ...resolved, enabled: !agent.disabled.has(endpoint) };
  }

  /**
   * A given version's endpoint (a run keeps the version it started on). `db`: the transaction
   * when called inside a write (on SQLite it holds the only connection); default `store.db`.
   */
  async resolve(at: { tenantId: string; agent: string; version: number; endpoint: string; db?: Kysely<Database> }): Promise<ResolvedEndpoint> {
    const { tenantId, agent: name, version, endpoint } = at;
    const spec = (await this.#version(tenantId, name, version, at.db)).endpoints.get(endpoint);
    if (!spec) throw new DomainError('ENDPOINT_NOT_FOUND', `agent ${name} has no endpoint ${JSON.stringify(endpoint)}`);
    const v = this.#validators.get(at, spec);
    return { agent: name, version, endpoint, spec, enabled: true, validateInput: v.input, validateOutput: v.output };
  }
}

export type { FieldProblem };
