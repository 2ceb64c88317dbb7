import type { Kysely, Transaction } from 'kysely';
import type { Database, SessionMessagesTable, TaskSessionContext, WriteContext } from '../store/index.ts';
import { applyContextPolicy, contentText, DEFAULT_CONTEXT_POLICY, estimateTokens, type ChatMessage, type ContextPolicy } from './context-window.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The user message whose run this is (its turn), or undefined for a run of no session message.
 * By session too: a fork's copies keep the original's run_id, so the run id alone may find a copy
 * in another session (and that session's history).
 */
async function messageOfRun(db: Db, tenantId: string, sessionId: string, runId: string): Promise<SessionMessagesTable | undefined> {
  return db.selectFrom('session_messages').selectAll().where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).where('run_id', '=', runId).where('role', '=', 'user').executeTakeFirst();
}

/**
 * The history a run of the session sees: every turn before its own, in conversation order (each
 * user message followed by its reply, whatever order they were appended in), without the
 * messages still waiting to run.
 */
async function turnsBefore(db: Db, tenantId: string, sessionId: string, turn: number): Promise<SessionMessagesTable[]> {
  return db
    .selectFrom('session_messages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('session_id', '=', sessionId)
    .where('turn', '<', turn)
    .where('status', 'not in', ['queued', 'in_flight'])
    .orderBy('turn')
    .orderBy('seq')
    .execute();
}

const tokensOfRow = (m: SessionMessagesTable) => estimateTokens(contentText(JSON.parse(m.content)));

/**
 * The context of the leased runs of sessions, read in the leasing transaction: what the
 * worker's `ctx.session.messages` holds (DEFAULT_CONTEXT_POLICY applied).
 */
export async function taskContexts(ctx: WriteContext, runs: readonly { id: string; tenant_id: string; session_id: string }[]): Promise<Map<string, TaskSessionContext>> {
  const out = new Map<string, TaskSessionContext>();
  for (const run of runs) {
    const own = await messageOfRun(ctx.trx, run.tenant_id, run.session_id, run.id);
    const rows = own ? await turnsBefore(ctx.trx, run.tenant_id, run.session_id, own.turn) : [];
    const kept = applyContextPolicy(rows, DEFAULT_CONTEXT_POLICY, tokensOfRow);
    out.set(run.id, { id: run.session_id, messages: kept.map((m) => ({ role: m.role as 'user' | 'assistant', content: JSON.parse(m.content) as unknown, seq: m.seq, status: m.status })) });
  }
  return out;
}

/**
 * The seam of the LLM runtime: the history a session's run sends its model, as chat messages,
 * oldest first, with the agent's context-window policy applied (newest kept, oldest dropped).
 * Empty for a run outside any session. Read outside any write (it reads through `db`).
 */
export async function chatHistory(db: Kysely<Database>, tenantId: string, runId: string, policy: ContextPolicy = DEFAULT_CONTEXT_POLICY): Promise<ChatMessage[]> {
  const run = await db.selectFrom('runs').select('session_id').where('tenant_id', '=', tenantId).where('id', '=', runId).executeTakeFirst();
  if (!run?.session_id) return [];
  const own = await messageOfRun(db, tenantId, run.session_id, runId);
  if (!own) return [];
  const rows = await turnsBefore(db, tenantId, own.session_id, own.turn);
  const chat = rows.map((m): ChatMessage => ({ role: m.role as 'user' | 'assistant', content: contentText(JSON.parse(m.content)) }));
  return applyContextPolicy(chat, policy, (m) => estimateTokens(m.content));
}
