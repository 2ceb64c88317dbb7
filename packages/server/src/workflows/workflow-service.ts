import type { FieldProblem, Page, Workflow, WorkflowVersion } from '@agentd/protocol';
import { agentSteps, compileWorkflow, type CompiledWorkflow } from '@agentd/protocol/workflow';
import { LRUCache } from 'lru-cache';
import type { AgentService } from '../agents/index.ts';
import type { Kysely } from 'kysely';
import type { Database, Store, WorkflowVersionsTable, WorkflowsTable, WriteContext } from '../store/index.ts';
import { keysetPage, newestFirstPage } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import { definitionDigest, toWorkflow, toWorkflowVersion } from './workflow-codec.ts';

/** Lets a route record its idempotent response in the transaction of the change. */
export type WorkflowRecorder = (ctx: WriteContext, workflow: Workflow) => Promise<void>;

/** A workflow version compiled for running: its templates parsed, its steps ordered. */
export interface ResolvedWorkflow {
  name: string;
  version: number;
  workflow: CompiledWorkflow;
}

const notFound = (name: string, version?: number) =>
  new DomainError('WORKFLOW_NOT_FOUND', version === undefined ? `no workflow named ${JSON.stringify(name)}` : `workflow ${JSON.stringify(name)} has no version ${version}`);

/**
 * Workflow definitions: deploy (validated offline by the protocol, then every step's agent and
 * endpoint looked up in the tenant), versions, reads, delete. Running them is not here.
 */
export class WorkflowService {
  readonly #store: Store;
  readonly #agents: AgentService;
  /** Versions are immutable, and compiling one parses every expression: kept while there is room. */
  readonly #compiled = new LRUCache<string, ResolvedWorkflow>({ max: 500 });

  constructor(store: Store, agents: AgentService) {
    this.#store = store;
    this.#agents = agents;
  }

  /**
   * Problems for agent steps whose agent is not deployed in the tenant, or whose endpoint its
   * latest version lacks. Read before the write: an agent deleted in between is met by the run
   * that calls it (as for a run created against a deleted agent), not by this check.
   */
  async #missingAgents(tenantId: string, workflow: CompiledWorkflow): Promise<FieldProblem[]> {
    const problems: FieldProblem[] = [];
    const endpoints = new Map<string, Set<string> | null>();
    for (const step of agentSteps(workflow)) {
      if (!endpoints.has(step.agent)) {
        const agent = await this.#agents.get(tenantId, step.agent).catch((err: unknown) => {
          if (err instanceof DomainError && err.code === 'AGENT_NOT_FOUND') return null;
          throw err;
        });
        endpoints.set(step.agent, agent ? new Set(Object.keys(agent.endpoints)) : null);
      }
      const known = endpoints.get(step.agent);
      if (!known) problems.push({ path: `${step.path}.agent`, message: `no agent named ${step.agent} is deployed in this tenant` });
      else if (!known.has(step.endpoint)) problems.push({ path: `${step.path}.endpoint`, message: `agent ${step.agent} has no endpoint ${step.endpoint} (its endpoints: ${[...known].join(', ')})` });
    }
    return problems;
  }

  /**
   * Stores a definition as the workflow's next immutable version; the same definition as the
   * latest version (keys in any order, YAML or JSON) adds none and answers that version.
   * `record` runs in the write's transaction.
   */
  async deploy(tenantId: string, raw: unknown, opts: { record?: WorkflowRecorder } = {}): Promise<Workflow> {
    const { record } = opts;
    const result = compileWorkflow(raw);
    if (!result.ok) throw new DomainError('WORKFLOW_INVALID', 'the workflow definition is invalid', result.problems);
    const missing = await this.#missingAgents(tenantId, result.value);
    if (missing.length > 0) throw new DomainError('WORKFLOW_INVALID', 'the workflow calls agents or endpoints this tenant does not have', missing);
    const { name, document } = result.value;
    const digest = definitionDigest(document);
    return this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      const existing = await trx.selectFrom('workflows').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
      const latest = existing
        ? await trx.selectFrom('workflow_versions').selectAll().where('tenant_id', '=', tenantId).where('workflow', '=', name).where('version', '=', existing.latest_version).executeTakeFirst()
        : undefined;
      let row: WorkflowsTable;
      let versionRow: WorkflowVersionsTable;
      if (existing && latest && latest.digest === digest) {
        versionRow = latest;
        row = existing;
        if (existing.deleted_at !== null) {
          // A deleted workflow deployed again as it was comes back at the version it had.
          row = { ...existing, deleted_at: null, updated_at: now };
          await trx.updateTable('workflows').set({ deleted_at: null, updated_at: now }).where('tenant_id', '=', tenantId).where('name', '=', name).execute();
        }
      } else {
        const last = await trx
          .selectFrom('workflow_versions')
          .select((eb) => eb.fn.max<number>('version').as('v'))
          .where('tenant_id', '=', tenantId)
          .where('workflow', '=', name)
          .executeTakeFirst();
        versionRow = { tenant_id: tenantId, workflow: name, version: Number(last?.v ?? 0) + 1, definition: JSON.stringify(document), digest, created_at: now };
        await trx.insertInto('workflow_versions').values(versionRow).execute();
        if (existing) {
          row = { ...existing, latest_version: versionRow.version, updated_at: now, deleted_at: null };
          await trx.updateTable('workflows').set({ latest_version: versionRow.version, updated_at: now, deleted_at: null }).where('tenant_id', '=', tenantId).where('name', '=', name).execute();
        } else {
          row = { tenant_id: tenantId, name, latest_version: versionRow.version, created_at: now, updated_at: now, deleted_at: null };
          await trx.insertInto('workflows').values(row).execute();
        }
      }
      const workflow = toWorkflow(row, versionRow, this.#store.wire);
      if (record) await record(ctx, workflow);
      return workflow;
    });
  }

  async #row(tenantId: string, name: string): Promise<WorkflowsTable> {
    const row = await this.#store.db
      .selectFrom('workflows')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw notFound(name);
    return row;
  }

  async #versionRow(tenantId: string, name: string, version: number, db: Kysely<Database> = this.#store.db): Promise<WorkflowVersionsTable> {
    const row = await db
      .selectFrom('workflow_versions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('workflow', '=', name)
      // Versions are PostgreSQL INTEGERs: a larger number cannot name one (and would be refused there).
      .where('version', '=', Math.min(version, 2_147_483_647))
      .executeTakeFirst();
    if (!row) throw notFound(name, version);
    return row;
  }

  async get(tenantId: string, name: string): Promise<Workflow> {
    const row = await this.#row(tenantId, name);
    return toWorkflow(row, await this.#versionRow(tenantId, name, row.latest_version), this.#store.wire);
  }

  /** Newest first (by when the name was first deployed). */
  async list(tenantId: string, opts: { limit: number; cursor?: string }): Promise<Page<Workflow>> {
    const q = this.#store.db.selectFrom('workflows').selectAll().where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
    const page = await newestFirstPage(q, { cursor: opts.cursor, limit: opts.limit, timeColumn: 'created_at', keyColumn: 'name', cursorOf: (r) => [r.created_at, r.name] });
    const data: Workflow[] = [];
    for (const row of page.rows) data.push(toWorkflow(row, await this.#versionRow(tenantId, row.name, row.latest_version), this.#store.wire));
    return { data, next_cursor: page.next_cursor };
  }

  async versions(tenantId: string, name: string, opts: { limit: number; cursor?: string }): Promise<Page<WorkflowVersion>> {
    await this.#row(tenantId, name);
    let q = this.#store.db.selectFrom('workflow_versions').selectAll().where('tenant_id', '=', tenantId).where('workflow', '=', name);
    const before = opts.cursor ? Number(opts.cursor) : NaN;
    if (Number.isInteger(before)) q = q.where('version', '<', Math.min(before, 2_147_483_647));
    const page = await keysetPage(q.orderBy('version', 'desc'), { limit: opts.limit, cursorOf: (v) => String(v.version) });
    return { data: page.rows.map((v) => toWorkflowVersion(v, this.#store.wire)), next_cursor: page.next_cursor };
  }

  async version(tenantId: string, name: string, version: number): Promise<WorkflowVersion> {
    await this.#row(tenantId, name);
    return toWorkflowVersion(await this.#versionRow(tenantId, name, version), this.#store.wire);
  }

  /** Soft delete: versions stay, so whatever was made from one keeps its definition. */
  async delete(tenantId: string, name: string): Promise<void> {
    await this.#store.writer.write(async ({ trx, now }) => {
      const r = await trx
        .updateTable('workflows')
        .set({ deleted_at: now, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('name', '=', name)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw notFound(name);
    });
  }

  /**
   * A version compiled for running (the latest when `version` is not given), for the workflow
   * runtime: every expression parsed once per version and node, not once per step started.
   * `db`: the transaction, when called inside a write (on SQLite it holds the only connection).
   */
  async resolve(tenantId: string, name: string, version?: number, opts: { db?: Kysely<Database> } = {}): Promise<ResolvedWorkflow> {
    const v = version ?? (await this.#row(tenantId, name)).latest_version;
    const key = `${tenantId}\u0000${name}\u0000${v}`;
    const hit = this.#compiled.get(key);
    if (hit) return hit;
    const row = await this.#versionRow(tenantId, name, v, opts.db);
    const result = compileWorkflow(JSON.parse(row.definition));
    // It compiled when it was deployed; failing now means the compiler changed under it.
    if (!result.ok) throw new DomainError('WORKFLOW_INVALID', `workflow ${name} version ${v} no longer compiles`, result.problems);
    const resolved: ResolvedWorkflow = { name, version: v, workflow: result.value };
    this.#compiled.set(key, resolved);
    return resolved;
  }
}
