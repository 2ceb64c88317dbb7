import type { SessionMessagesTable, SessionsTable, WriteContext } from '../store/index.ts';
import { admitSessionRun, cancelRun } from '../runs/index.ts';

// The writes of a session's turns, each inside the caller's transaction with the session row
// read (and, where the dialect has row locks, locked) first: appending messages, the end of a
// message's run (its reply), admitting the next enqueued message.

/** The session row, locked to the commit where the dialect can (SQLite's one writer serialises the rest). */
export async function lockSession(ctx: WriteContext, tenantId: string, id: string): Promise<SessionsTable | undefined> {
  let q = ctx.trx.selectFrom('sessions').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
  if (ctx.rowLocks) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Appends one message after the session's newest (the caller writes `message_seq` back with saveSession). */
export async function appendMessage(
  ctx: WriteContext,
  session: SessionsTable,
  m: Pick<SessionMessagesTable, 'role' | 'content' | 'run_id' | 'status'> & { turn?: number },
): Promise<SessionMessagesTable> {
  const seq = session.message_seq + 1;
  const row: SessionMessagesTable = { tenant_id: session.tenant_id, session_id: session.id, seq, id: ctx.ids.next('msg', ctx.now), role: m.role, content: m.content, turn: m.turn ?? seq, run_id: m.run_id, status: m.status, created_at: ctx.now };
  await ctx.trx.insertInto('session_messages').values(row).execute();
  session.message_seq = seq;
  return row;
}

/**
 * Writes back what a turn changed of the session. `current` guards the write: the session's
 * message in flight must still be the one this transaction read (a compare-and-set; under
 * PostgreSQL's row lock it always is, and it keeps the one-in-flight rule true without one).
 */
export async function saveSession(ctx: WriteContext, session: SessionsTable, readCurrent: string | null): Promise<void> {
  const r = await ctx.trx
    .updateTable('sessions')
    .set({ current_run_id: session.current_run_id, message_seq: session.message_seq, status: session.status, expires_at: session.expires_at, end_reason: session.end_reason, ended_at: session.ended_at, updated_at: ctx.now })
    .where('tenant_id', '=', session.tenant_id)
    .where('id', '=', session.id)
    .where((eb) => (readCurrent === null ? eb('current_run_id', 'is', null) : eb('current_run_id', '=', readCurrent)))
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new Error(`session ${session.id} changed under this write (its message in flight is no longer ${readCurrent ?? 'none'})`);
}

/** The text a run streamed (`run.output.delta`), for the partial reply of a run that did not succeed. */
async function streamedText(ctx: WriteContext, tenantId: string, runId: string): Promise<string> {
  const rows = await ctx.trx.selectFrom('run_events').select(['data']).where('tenant_id', '=', tenantId).where('run_id', '=', runId).where('type', '=', 'run.output.delta').orderBy('seq').execute();
  let text = '';
  for (const r of rows) {
    const data = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as { delta?: unknown; text?: unknown };
    // A worker's delta is {delta}; the LLM runtime's is {text}.
    const delta = data.delta ?? data.text;
    text += typeof delta === 'string' ? delta : JSON.stringify(delta);
  }
  return text;
}

/**
 * The `sessionRunEnded` run hook: a session's run just ended, in this transaction. Its user
 * message takes the run's final status; a success appends the output as the reply, any other
 * end what the run streamed as a partial reply (if anything). When it was the message in flight,
 * the next enqueued message is admitted (an active session) or the idle clock starts.
 */
export async function sessionRunEnded(ctx: WriteContext, ended: { id: string; tenant_id: string; session_id: string }): Promise<void> {
  const session = await lockSession(ctx, ended.tenant_id, ended.session_id);
  if (!session) return; // deleted with its history; the run stands alone
  const readCurrent = session.current_run_id;
  const run = await ctx.trx.selectFrom('runs').select(['status', 'output']).where('tenant_id', '=', ended.tenant_id).where('id', '=', ended.id).executeTakeFirstOrThrow();
  const own = await ctx.trx.selectFrom('session_messages').select(['seq']).where('tenant_id', '=', ended.tenant_id).where('run_id', '=', ended.id).where('role', '=', 'user').executeTakeFirst();
  if (own) {
    await ctx.trx.updateTable('session_messages').set({ status: run.status }).where('tenant_id', '=', ended.tenant_id).where('session_id', '=', session.id).where('seq', '=', own.seq).execute();
    if (run.status === 'succeeded') await appendMessage(ctx, session, { role: 'assistant', content: run.output ?? 'null', run_id: ended.id, status: 'complete', turn: own.seq });
    else {
      const text = await streamedText(ctx, ended.tenant_id, ended.id);
      if (text !== '') await appendMessage(ctx, session, { role: 'assistant', content: JSON.stringify(text), run_id: ended.id, status: 'partial', turn: own.seq });
    }
  }
  if (session.current_run_id === ended.id) {
    session.current_run_id = null;
    if (session.status === 'active') await admitNext(ctx, session);
    if (session.current_run_id === null && session.status !== 'ended') session.expires_at = ctx.now + Number(session.idle_ttl_ms);
  }
  await saveSession(ctx, session, readCurrent);
}

/** The oldest enqueued message whose run is still held goes in flight (its run to the queue). Changes `session` in memory. */
export async function admitNext(ctx: WriteContext, session: SessionsTable): Promise<void> {
  const queued = await ctx.trx
    .selectFrom('session_messages')
    .select(['seq', 'run_id'])
    .where('tenant_id', '=', session.tenant_id)
    .where('session_id', '=', session.id)
    .where('status', '=', 'queued')
    .orderBy('seq')
    .execute();
  for (const m of queued) {
    if (m.run_id === null) continue;
    let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', session.tenant_id).where('id', '=', m.run_id);
    if (ctx.rowLocks) q = q.forUpdate();
    const run = await q.executeTakeFirst();
    const admitted = run ? await admitSessionRun(ctx, run) : undefined;
    if (!admitted) continue; // ended meanwhile (cancelled, past its deadline): its hook marked the message
    await ctx.trx.updateTable('session_messages').set({ status: 'in_flight' }).where('tenant_id', '=', session.tenant_id).where('session_id', '=', session.id).where('seq', '=', m.seq).execute();
    session.current_run_id = admitted.id;
    session.expires_at = null;
    return;
  }
}

/** Cancels the session's live runs (the one in flight and the enqueued ones), each through the state machine; their hooks record how they ended. */
export async function cancelSessionRuns(ctx: WriteContext, session: SessionsTable, reason: string): Promise<number> {
  let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', session.tenant_id).where('session_id', '=', session.id).where('status', 'in', ['queued', 'running', 'waiting']).orderBy('id');
  if (ctx.rowLocks) q = q.forUpdate();
  let n = 0;
  for (const run of await q.execute()) if (await cancelRun(ctx, run, reason)) n++;
  return n;
}
