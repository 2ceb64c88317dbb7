import type { McpServer, McpServerCreateParams, McpServerDeleted, McpTool, Page } from '@agentd/protocol';
import type { AuditService } from '../audit/index.ts';
import { DomainError } from '../core/index.ts';
import { EgressRefusedError, type EgressClient } from '../egress/index.ts';
import type { SecretService } from '../secrets/index.ts';
import { newestFirstPage, type McpServersTable, type Store, type WriteContext } from '../store/index.ts';
import { DEFAULT_TOOL_CAPS, outcomeOfError, type ToolCaps } from '../tools/index.ts';
import { describeChanges, toMcpServer, toolChanges } from './mcp-codec.ts';
import { listMcpTools, toolsHash, withMcpClient, type McpTarget } from './mcp-connection.ts';

/** Who asked (an API key), for `approved_by` and audit records. */
export interface McpActor {
  keyId: string | null;
  role: string | null;
}

/** Hands the caller's idempotency recorder the transaction of the change. */
export type McpRecorder<T> = ((ctx: WriteContext, response: T) => Promise<void>) | undefined;

const notFound = (name: string) => new DomainError('MCP_SERVER_NOT_FOUND', `no MCP server ${JSON.stringify(name)}`);

/**
 * MCP servers registered per tenant (TESTPLAN 27). Registering one lists its tools and pins them
 * (what an admin registers is what they approve); every later listing (each tool call's, see
 * mcp-tool-runners.ts) is compared with the pinned hash, and a server whose tools changed is
 * disabled, with an audit record, until an admin approves its current tools.
 */
export class McpServerService {
  readonly #store: Store;
  readonly #secrets: SecretService;
  readonly #audit: AuditService;
  readonly egress: EgressClient;
  readonly caps: ToolCaps;

  constructor(opts: { store: Store; secrets: SecretService; audit: AuditService; egress: EgressClient; caps?: Partial<ToolCaps> }) {
    this.#store = opts.store;
    this.#secrets = opts.secrets;
    this.#audit = opts.audit;
    this.egress = opts.egress;
    this.caps = { ...DEFAULT_TOOL_CAPS, ...opts.caps };
  }

  async create(input: McpServerCreateParams & { tenantId: string; actor: McpActor }, record?: McpRecorder<McpServer>): Promise<McpServer> {
    await this.#checkUrl(input.url);
    if (await this.#row(input.tenantId, input.name)) throw exists(input.name);
    const authSecret = input.auth_secret ?? null;
    const authHeader = input.auth_header ?? null;
    if (authSecret !== null && !(await this.#secrets.exists(input.tenantId, authSecret))) throw new DomainError('SECRET_NOT_FOUND', `no secret ${JSON.stringify(authSecret)}`);
    const tools = await this.#listNow(input.tenantId, { url: input.url, auth_secret: authSecret, auth_header: authHeader });
    return this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      const row: McpServersTable = {
        tenant_id: input.tenantId,
        name: input.name,
        url: input.url,
        auth_secret: authSecret,
        auth_header: authHeader,
        description: input.description ?? null,
        status: 'active',
        tools: JSON.stringify(tools),
        tools_hash: toolsHash(tools),
        pending_tools: null,
        pending_tools_hash: null,
        disabled_reason: null,
        disabled_at: null,
        approved_at: now,
        approved_by: input.actor.keyId,
        created_at: now,
        updated_at: now,
      };
      const taken = await trx.selectFrom('mcp_servers').select('name').where('tenant_id', '=', input.tenantId).where('name', '=', input.name).executeTakeFirst();
      if (taken) throw exists(input.name);
      await trx.insertInto('mcp_servers').values(row).execute();
      const answer = toMcpServer(row, this.#store.wire);
      if (record) await record(ctx, answer);
      return answer;
    });
  }

  async list(input: { tenantId: string; limit: number; cursor?: string }): Promise<Page<McpServer>> {
    const q = this.#store.db.selectFrom('mcp_servers').selectAll().where('tenant_id', '=', input.tenantId);
    const page = await newestFirstPage(q, { cursor: input.cursor, limit: input.limit, timeColumn: 'created_at', keyColumn: 'name', cursorOf: (r) => [Number(r.created_at), r.name] });
    return { data: page.rows.map((r) => toMcpServer(r, this.#store.wire)), next_cursor: page.next_cursor };
  }

  async retrieve(input: { tenantId: string; name: string }): Promise<McpServer> {
    const row = await this.#row(input.tenantId, input.name);
    if (!row) throw notFound(input.name);
    return toMcpServer(row, this.#store.wire);
  }

  /** The stored row (for the tool runners). */
  async row(input: { tenantId: string; name: string }): Promise<McpServersTable> {
    const row = await this.#row(input.tenantId, input.name);
    if (!row) throw notFound(input.name);
    return row;
  }

  async delete(input: { tenantId: string; name: string }): Promise<McpServerDeleted> {
    return this.#store.writer.write(async ({ trx }) => {
      const r = await trx.deleteFrom('mcp_servers').where('tenant_id', '=', input.tenantId).where('name', '=', input.name).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw notFound(input.name);
      return { name: input.name, deleted: true as const };
    });
  }

  /**
   * Pins the tools the server lists now and makes it active. With `toolsHash` (the pending hash
   * the approver reviewed), a list that changed again since is refused: an approval covers what
   * was reviewed, nothing else.
   */
  async approve(input: { tenantId: string; name: string; toolsHash?: string; actor: McpActor }, record?: McpRecorder<McpServer>): Promise<McpServer> {
    const before = await this.row(input);
    const tools = await this.#listNow(input.tenantId, before);
    const hash = toolsHash(tools);
    if (input.toolsHash !== undefined && input.toolsHash !== hash) {
      throw new DomainError('MCP_TOOLS_CHANGED', `the server's tools are not the ones reviewed (their hash is now ${hash}); review them again`, { tools_hash: hash, reviewed: input.toolsHash });
    }
    return this.#store.writer.write(async (ctx) => {
      const row = await ctx.trx
        .updateTable('mcp_servers')
        .set({ status: 'active', tools: JSON.stringify(tools), tools_hash: hash, pending_tools: null, pending_tools_hash: null, disabled_reason: null, disabled_at: null, approved_at: ctx.now, approved_by: input.actor.keyId, updated_at: ctx.now })
        .where('tenant_id', '=', input.tenantId)
        .where('name', '=', input.name)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound(input.name);
      const answer = toMcpServer(row, this.#store.wire);
      if (record) await record(ctx, answer);
      return answer;
    });
  }

  /**
   * The server listed `tools` (hash `hash`), not the pinned ones: it is disabled, once (a later
   * call that sees the same change finds it disabled already), with an audit record naming what
   * changed. Returns the reason given to the model.
   */
  async disableChanged(row: McpServersTable, tools: McpTool[], hash: string): Promise<string> {
    const changes = toolChanges(JSON.parse(row.tools) as McpTool[], tools);
    const reason = describeChanges(changes);
    await this.#store.writer.write(async (ctx) => {
      const r = await ctx.trx
        .updateTable('mcp_servers')
        .set({ status: 'disabled', pending_tools: JSON.stringify(tools), pending_tools_hash: hash, disabled_reason: reason, disabled_at: ctx.now, updated_at: ctx.now })
        .where('tenant_id', '=', row.tenant_id)
        .where('name', '=', row.name)
        .where('tools_hash', '=', row.tools_hash)
        .where('status', '=', 'active')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return;
      await this.#audit.recordIn(ctx, [
        { tenantId: row.tenant_id, actor: null, actorRole: null, action: 'mcp_server.disabled', targetType: 'mcp_server', targetId: row.name, outcome: 'ok', statusCode: null, requestId: null, details: { approved_hash: row.tools_hash, listed_hash: hash, ...changes } },
      ]);
    });
    return reason;
  }

  /** The header the server's auth secret goes in, given its value. */
  authHeaders(row: Pick<McpServersTable, 'auth_header'>, value: string | undefined): Record<string, string> {
    if (value === undefined) return {};
    const header = (row.auth_header ?? 'authorization').toLowerCase();
    return { [header]: header === 'authorization' ? `Bearer ${value}` : value };
  }

  /** An admin's listing (register, approve): the secret read from the vault, not from a grant. */
  async #listNow(tenantId: string, row: Pick<McpServersTable, 'url' | 'auth_secret' | 'auth_header'>): Promise<McpTool[]> {
    const value = row.auth_secret === null ? undefined : await this.#secrets.readValue({ tenantId, name: row.auth_secret });
    const target: McpTarget = { url: row.url, headers: this.authHeaders(row, value) };
    const signal = AbortSignal.timeout(this.caps.timeoutMs);
    const opts = { signal, timeoutMs: this.caps.timeoutMs, maxReplyBytes: this.caps.maxReplyBytes };
    try {
      return await withMcpClient(this.egress, target, opts, (client) => listMcpTools(client, opts));
    } catch (err) {
      const outcome = outcomeOfError(err, { signal, callerSignal: new AbortController().signal, caps: this.caps });
      const message = outcome.ok ? 'unknown' : outcome.error.message;
      if (!outcome.ok && outcome.error.code === 'EGRESS_REFUSED') throw new DomainError('EGRESS_REFUSED', message, { url: row.url });
      const safe = value ? message.split(value).join('[redacted]') : message;
      throw new DomainError('MCP_SERVER_UNREACHABLE', `the MCP server at ${row.url} did not list its tools: ${safe}`, { url: row.url, reason: outcome.ok ? 'unknown' : outcome.error.code });
    }
  }

  async #row(tenantId: string, name: string): Promise<McpServersTable | undefined> {
    return this.#store.db.selectFrom('mcp_servers').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
  }

  async #checkUrl(url: string): Promise<void> {
    try {
      await this.egress.check(url);
    } catch (err) {
      if (err instanceof EgressRefusedError) throw new DomainError('EGRESS_REFUSED', err.message, { url, reason: err.reason });
      throw err;
    }
  }
}

function exists(name: string): DomainError {
  return new DomainError('MCP_SERVER_EXISTS', `an MCP server ${JSON.stringify(name)} is registered; delete it first`, { name });
}
