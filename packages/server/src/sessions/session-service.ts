import type { MultitaskStrategy, Page, RunEvent, Session, SessionDeleted, SessionMessage, SessionMessageAccepted, SessionStatus } from '@agentd/protocol';
import type { Clock } from '../core/index.ts';
import { DomainError } from '../core/index.ts';
import type { SessionsTable, Store, WriteContext } from '../store/index.ts';
import { newestFirstPage } from '../store/index.ts';
import type { AgentService } from '../agents/index.ts';
import type { LeaseService } from '../leases/index.ts';
import type { AfterWrite, RunService } from '../runs/index.ts';
import { toEvent } from '../runs/index.ts';
import { belowHorizon } from '../events/index.ts';
import { toMessage, toSession } from './session-codec.ts';
import { taskContexts } from './session-history.ts';
import { isoOf, sendIn } from './session-send.ts';
import { admitNext, cancelSessionRuns, lockSession, saveSession, sessionRunEnded } from './session-turns.ts';

/** How long a session may sit idle (no message in flight, none sent) before it ends itself: 24 h. */
export const DEFAULT_SESSION_IDLE_TTL_MS = 24 * 3_600_000;

export interface SessionCreateInput {
  agent: string;
  endpoint?: string;
  metadata?: Record<string, unknown>;
  idle_ttl_ms?: number;
}

export class SessionService {
  readonly #store: Store;
  readonly #agents: AgentService;
  readonly #runs: RunService;
  readonly #leases: LeaseService;
  readonly #clock: Clock;
  readonly #idleTtlMs: number;

  constructor(opts: { store: Store; agents: AgentService; runs: RunService; leases: LeaseService; clock: Clock; idleTtlMs?: number }) {
    this.#store = opts.store;
    this.#agents = opts.agents;
    this.#runs = opts.runs;
    this.#leases = opts.leases;
    this.#clock = opts.clock;
    this.#idleTtlMs = opts.idleTtlMs ?? DEFAULT_SESSION_IDLE_TTL_MS;
    // A message's reply is appended, and the next enqueued one admitted, in its run's ending transaction.
    opts.store.runHooks.onSessionRunEnded(sessionRunEnded);
    opts.store.runHooks.setSessionTaskContext(taskContexts);
  }

  /** A new active session; `endpoint` may be left out when the agent has exactly one. */
  async create(tenantId: string, input: SessionCreateInput, opts: { after?: AfterWrite<Session> } = {}): Promise<Session> {
    const agent = await this.#agents.get(tenantId, input.agent);
    const endpoints = Object.keys(agent.endpoints);
    let endpoint = input.endpoint;
    if (endpoint === undefined) {
      if (endpoints.length !== 1) throw new DomainError('VALIDATION_ERROR', `agent ${input.agent} has ${endpoints.length} endpoints (${endpoints.join(', ')}): name the one the session runs`, [{ path: 'endpoint', message: 'is required: the agent has more than one endpoint' }]);
      endpoint = endpoints[0];
    } else if (!endpoints.includes(endpoint)) throw new DomainError('ENDPOINT_NOT_FOUND', `agent ${input.agent} has no endpoint ${JSON.stringify(endpoint)}`, [{ path: 'endpoint', message: `must be one of ${endpoints.join(', ')}` }]);
    return this.#store.writer.write(async (ctx) => {
      const ttl = input.idle_ttl_ms ?? this.#idleTtlMs;
      const row: SessionsTable = {
        tenant_id: tenantId, id: ctx.ids.next('ses', ctx.now), agent: agent.name, endpoint: endpoint, status: 'active', metadata: JSON.stringify(input.metadata ?? {}),
        current_run_id: null, message_seq: 0, forked_from: null, forked_message_id: null, forked_seq: null, idle_ttl_ms: ttl, expires_at: ctx.now + ttl, end_reason: null,
        created_at: ctx.now, updated_at: ctx.now, ended_at: null,
      };
      await ctx.trx.insertInto('sessions').values(row).execute();
      const session = toSession(row, ctx.wire);
      if (opts.after) await opts.after(ctx, session);
      return session;
    });
  }

  async #row(tenantId: string, id: string): Promise<SessionsTable> {
    const row = await this.#store.db.selectFrom('sessions').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new DomainError('SESSION_NOT_FOUND', `no session ${JSON.stringify(id)}`);
    return row;
  }

  async get(tenantId: string, id: string): Promise<Session> {
    return toSession(await this.#row(tenantId, id), this.#store.wire);
  }

  async list(tenantId: string, f: { agent?: string; status?: SessionStatus; limit: number; cursor?: string }): Promise<Page<Session>> {
    let q = this.#store.db.selectFrom('sessions').selectAll().where('tenant_id', '=', tenantId);
    if (f.agent) q = q.where('agent', '=', f.agent);
    if (f.status) q = q.where('status', '=', f.status);
    const page = await newestFirstPage(q, { cursor: f.cursor, limit: f.limit, timeColumn: 'created_at', keyColumn: 'id', cursorOf: (r) => [Number(r.created_at), r.id] });
    return { data: page.rows.map((r) => toSession(r, this.#store.wire)), next_cursor: page.next_cursor };
  }

  /** The history oldest first; `cursor` is the seq of the last message of the previous page. */
  async messages(tenantId: string, id: string, page: { limit: number; cursor?: string }): Promise<Page<SessionMessage>> {
    await this.#row(tenantId, id);
    const after = page.cursor === undefined ? 0 : Number(page.cursor);
    if (!Number.isSafeInteger(after) || after < 0) throw new DomainError('VALIDATION_ERROR', 'cursor is malformed', [{ path: 'cursor', message: 'is malformed' }]);
    const rows = await this.#store.db.selectFrom('session_messages').selectAll().where('tenant_id', '=', tenantId).where('session_id', '=', id).where('seq', '>', Math.min(after, 2_147_483_647)).orderBy('seq').limit(page.limit + 1).execute();
    const more = rows.length > page.limit;
    const data = rows.slice(0, page.limit).map((r) => toMessage(r, this.#store.wire));
    return { data, next_cursor: more ? String(data[data.length - 1].seq) : null };
  }

  /** A message: a run of the session's endpoint with `content` as its input (see sendIn). */
  async send(tenantId: string, id: string, body: { content: unknown; multitask?: MultitaskStrategy; metadata?: Record<string, unknown> }, opts: { after?: AfterWrite<SessionMessageAccepted> } = {}): Promise<SessionMessageAccepted> {
    const s = await this.#row(tenantId, id);
    if (s.status === 'ended') throw new DomainError('SESSION_ENDED', `session ${id} ended${s.end_reason ? ` (${s.end_reason})` : ''}; it accepts no messages`, { ended_at: isoOf(s.ended_at), reason: s.end_reason });
    // An LLM agent's message is the user's text: its run's input is {"message": <text>} (the chat endpoint's).
    const input = typeof body.content === 'string' && (await this.#agents.runtimeOf(tenantId, s.agent)) === 'llm' ? { message: body.content } : body.content;
    // The input is checked against the endpoint's schema here, before the write (field paths under `content`).
    const prepared = await this.#runs.prepare(tenantId, { agent: s.agent, endpoint: s.endpoint, input, metadata: { ...body.metadata, session_id: id } }, '').catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'INPUT_INVALID' && Array.isArray(err.details)) {
        const details = (err.details as { path: string; message: string }[]).map((p) => ({ ...p, path: p.path.replace(/^input/, 'content') }));
        throw new DomainError('INPUT_INVALID', err.message.replace(/^input/, 'content'), details);
      }
      throw err;
    });
    return this.#store.writer.write(async (ctx) => {
      const accepted = await sendIn(ctx, { leases: this.#leases }, { tenantId, sessionId: id, content: body.content, multitask: body.multitask ?? 'reject', prepared });
      if (opts.after) await opts.after(ctx, accepted);
      return accepted;
    });
  }

  /** A status change under the row's lock; `change` may write more (cancel runs, admit the next message). */
  #lifecycle(tenantId: string, id: string, change: (ctx: WriteContext, s: SessionsTable) => Promise<void>, after?: AfterWrite<Session>): Promise<Session> {
    return this.#store.writer.write(async (ctx) => {
      const s = await lockSession(ctx, tenantId, id);
      if (!s) throw new DomainError('SESSION_NOT_FOUND', `no session ${JSON.stringify(id)}`);
      if (s.status === 'ended') throw new DomainError('SESSION_ENDED', `session ${id} already ended`, { ended_at: isoOf(s.ended_at), reason: s.end_reason });
      await change(ctx, s);
      const fresh = await lockSession(ctx, tenantId, id);
      const session = toSession(fresh!, ctx.wire);
      if (after) await after(ctx, session);
      return session;
    });
  }

  /** No new messages are accepted (409) until resume; the one in flight finishes, enqueued ones wait. */
  pause(tenantId: string, id: string, opts: { after?: AfterWrite<Session> } = {}): Promise<Session> {
    return this.#lifecycle(tenantId, id, async (ctx, s) => {
      const read = s.current_run_id;
      s.status = 'paused';
      await saveSession(ctx, s, read);
    }, opts.after);
  }

  /** Active again; an enqueued message waiting since the pause goes in flight. */
  resume(tenantId: string, id: string, opts: { after?: AfterWrite<Session> } = {}): Promise<Session> {
    return this.#lifecycle(tenantId, id, async (ctx, s) => {
      const read = s.current_run_id;
      s.status = 'active';
      if (s.current_run_id === null) await admitNext(ctx, s);
      if (s.current_run_id === null) s.expires_at = ctx.now + Number(s.idle_ttl_ms);
      await saveSession(ctx, s, read);
    }, opts.after);
  }

  /** Ended for good (410 to any message): the message in flight and the enqueued ones are cancelled. */
  end(tenantId: string, id: string, opts: { reason?: string; after?: AfterWrite<Session> } = {}): Promise<Session> {
    return this.#lifecycle(tenantId, id, (ctx, s) => this.#endIn(ctx, s, opts.reason ?? 'ended by request'), opts.after);
  }

  async #endIn(ctx: WriteContext, s: SessionsTable, reason: string): Promise<void> {
    const read = s.current_run_id;
    Object.assign(s, { status: 'ended', ended_at: ctx.now, end_reason: reason, expires_at: null });
    await saveSession(ctx, s, read);
    await cancelSessionRuns(ctx, s, `session ${s.id} ended`);
  }

  /** A new active session whose history is this one's up to `messageId` (default: the newest message), copied. */
  async fork(tenantId: string, id: string, body: { message_id?: string; metadata?: Record<string, unknown> }, opts: { after?: AfterWrite<Session> } = {}): Promise<Session> {
    return this.#store.writer.write(async (ctx) => {
      const s = await lockSession(ctx, tenantId, id);
      if (!s) throw new DomainError('SESSION_NOT_FOUND', `no session ${JSON.stringify(id)}`);
      let at = s.message_seq;
      let atId: string | null = null;
      if (body.message_id !== undefined) {
        const m = await ctx.trx.selectFrom('session_messages').select(['seq', 'id']).where('tenant_id', '=', tenantId).where('id', '=', body.message_id).where('session_id', '=', id).executeTakeFirst();
        if (!m) throw new DomainError('SESSION_MESSAGE_NOT_FOUND', `session ${id} has no message ${JSON.stringify(body.message_id)}`, [{ path: 'message_id', message: 'is not a message of this session' }]);
        at = m.seq;
        atId = m.id;
      }
      const rows = await ctx.trx.selectFrom('session_messages').selectAll().where('tenant_id', '=', tenantId).where('session_id', '=', id).where('seq', '<=', at).orderBy('seq').execute();
      atId ??= rows.length > 0 ? rows[rows.length - 1].id : '';
      const ttl = Number(s.idle_ttl_ms);
      const fork: SessionsTable = {
        ...s, id: ctx.ids.next('ses', ctx.now), status: 'active', metadata: body.metadata === undefined ? s.metadata : JSON.stringify(body.metadata), current_run_id: null, message_seq: at,
        forked_from: s.id, forked_message_id: atId, forked_seq: at, expires_at: ctx.now + ttl, end_reason: null, created_at: ctx.now, updated_at: ctx.now, ended_at: null,
      };
      await ctx.trx.insertInto('sessions').values(fork).execute();
      // A message still waiting or running in the original has no outcome in the fork.
      const copies = rows.map((m) => ({ ...m, session_id: fork.id, id: ctx.ids.next('msg', ctx.now), status: m.status === 'queued' || m.status === 'in_flight' ? 'not_run' : m.status }));
      for (let i = 0; i < copies.length; i += 100) await ctx.trx.insertInto('session_messages').values(copies.slice(i, i + 100)).execute();
      const session = toSession(fork, ctx.wire);
      if (opts.after) await opts.after(ctx, session);
      return session;
    });
  }

  /** Deletes the session and its history; its live runs are cancelled first (the runs themselves stay). */
  async delete(tenantId: string, id: string): Promise<SessionDeleted> {
    return this.#store.writer.write(async (ctx) => {
      const s = await lockSession(ctx, tenantId, id);
      if (!s) throw new DomainError('SESSION_NOT_FOUND', `no session ${JSON.stringify(id)}`);
      if (s.status !== 'ended') await this.#endIn(ctx, s, 'deleted');
      const r = await ctx.trx.deleteFrom('session_messages').where('tenant_id', '=', tenantId).where('session_id', '=', id).executeTakeFirst();
      await ctx.trx.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
      return { id, deleted: true as const, messages_deleted: Number(r.numDeletedRows) };
    });
  }

  /**
   * The session's events (every event of its messages' runs) after tenant event id `afterId`,
   * oldest first. The session's runs first (index runs_session), then their events by run
   * (run_events' UNIQUE (run_id, seq)): a read costs the session's events, not the tenant's.
   */
  async events(tenantId: string, id: string, afterId: number, limit: number): Promise<RunEvent[]> {
    const runs = await this.#store.db.selectFrom('runs').select('id').where('tenant_id', '=', tenantId).where('session_id', '=', id).execute();
    if (runs.length === 0) return [];
    const rows = await this.#store.db
      .selectFrom('run_events')
      .select(['id', 'seq', 'type', 'run_id', 'agent', 'at', 'data'])
      .where('tenant_id', '=', tenantId)
      .where(this.#store.queries.anyOf('run_id', runs.map((r) => r.id)))
      .where('id', '>', afterId)
      .$call(belowHorizon(this.#store, tenantId))
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => toEvent(r, this.#store.wire));
  }

  /** 404 before a stream starts. */
  async exists(tenantId: string, id: string): Promise<void> {
    await this.#row(tenantId, id);
  }

  /** Sessions idle past their TTL (any tenant), for the timer leader's sweep. */
  async dueIdle(now: number, limit: number): Promise<{ tenant_id: string; id: string }[]> {
    // The sweep ends every tenant's idle sessions.
    return this.#store.allTenants(this.#store.db).selectFrom('sessions').select(['tenant_id', 'id']).where('expires_at', '<=', now).orderBy('expires_at').limit(limit).execute();
  }

  /** Ends these sessions if they are still idle past their TTL (re-checked under the row's lock). Answers how many ended. */
  async endIdleIn(ctx: WriteContext, rows: readonly { tenant_id: string; id: string }[]): Promise<number> {
    let n = 0;
    for (const r of rows) {
      const s = await lockSession(ctx, r.tenant_id, r.id);
      if (!s || s.status === 'ended' || s.current_run_id !== null || s.expires_at === null || Number(s.expires_at) > ctx.now) continue;
      await this.#endIn(ctx, s, 'idle');
      n++;
    }
    return n;
  }
}
