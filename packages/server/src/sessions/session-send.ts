import type { MultitaskStrategy, SessionMessageAccepted } from '@agentd/protocol';
import { DomainError } from '../core/index.ts';
import type { SessionsTable, WriteContext } from '../store/index.ts';
import type { LeaseService } from '../leases/index.ts';
import { cancelRun, createRuns, type PreparedRun } from '../runs/index.ts';
import { toMessage } from './session-codec.ts';
import { appendMessage, lockSession, saveSession } from './session-turns.ts';

/** An epoch ms as the wire's ISO time (error details). */
export const isoOf = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

/** A 409/410 for a session that takes no message now, or nothing. */
export function refusal(session: SessionsTable): DomainError | null {
  if (session.status === 'ended') return new DomainError('SESSION_ENDED', `session ${session.id} ended${session.end_reason ? ` (${session.end_reason})` : ''}; it accepts no messages`, { ended_at: isoOf(session.ended_at), reason: session.end_reason });
  if (session.status === 'paused') return new DomainError('SESSION_PAUSED', `session ${session.id} is paused; resume it to send messages`);
  return null;
}

/**
 * One message, in the caller's write: the session row locked, then by `multitask` while another
 * message is in flight: `reject` is 409 SESSION_BUSY; `enqueue` creates the run held (waiting,
 * reason `session`) until the messages before it end; `interrupt` puts the new run in flight and
 * cancels the old one, whose streamed text its run-ended hook keeps as a partial reply. The
 * session's `current_run_id` is written by a compare-and-set on what this write read, so two
 * sends on any nodes cannot both put a message in flight.
 */
export async function sendIn(
  ctx: WriteContext,
  deps: { leases: LeaseService },
  req: { tenantId: string; sessionId: string; content: unknown; multitask: MultitaskStrategy; prepared: PreparedRun },
): Promise<SessionMessageAccepted> {
  const session = await lockSession(ctx, req.tenantId, req.sessionId);
  if (!session) throw new DomainError('SESSION_NOT_FOUND', `no session ${JSON.stringify(req.sessionId)}`);
  const refused = refusal(session);
  if (refused) throw refused;
  const readCurrent = session.current_run_id;
  const busy = readCurrent !== null;
  if (busy && req.multitask === 'reject') {
    throw new DomainError('SESSION_BUSY', `session ${session.id} has a message in flight (run ${readCurrent}); send it with multitask enqueue or interrupt, or once the reply is in`, { run_id: readCurrent });
  }
  const held = busy && req.multitask === 'enqueue';
  if (held && req.prepared.approval) {
    throw new DomainError('VALIDATION_ERROR', `endpoint ${session.agent}/${session.endpoint} needs an approval per run: its messages cannot be enqueued (not supported yet); send with reject or interrupt`, [{ path: 'multitask', message: 'enqueue is not supported for an endpoint with a manifest approval' }]);
  }
  const [run] = await createRuns(ctx, [{ run: { ...req.prepared.run, session_id: session.id }, approval: req.prepared.approval, heldFor: held ? 'session' : undefined }]);
  const message = await appendMessage(ctx, session, { role: 'user', content: JSON.stringify(req.content ?? null), run_id: run.id, status: held ? 'queued' : 'in_flight' });
  if (!held) {
    session.current_run_id = run.id;
    session.expires_at = null;
  }
  await saveSession(ctx, session, readCurrent);
  let interrupted: string | null = null;
  if (busy && req.multitask === 'interrupt') {
    // After the save: the old run's hook reads the session with the new message in flight.
    let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', req.tenantId).where('id', '=', readCurrent);
    if (ctx.rowLocks) q = q.forUpdate();
    const old = await q.executeTakeFirst();
    if (old && (await cancelRun(ctx, old, `interrupted by message ${message.seq} of session ${session.id}`))) interrupted = old.id;
  }
  if (run.status === 'queued') await deps.leases.handOffIn(ctx, [run]);
  return { session_id: session.id, run_id: run.id, message: toMessage(message, ctx.wire), status: held ? 'queued' : 'in_flight', interrupted_run_id: interrupted };
}
