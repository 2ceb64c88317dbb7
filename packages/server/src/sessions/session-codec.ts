import type { Session, SessionMessage, SessionStatus } from '@agentd/protocol';
import type { SessionMessagesTable, SessionsTable } from '../store/index.ts';
import type { WireFormat } from '../core/index.ts';

export function toSession(row: SessionsTable, wire: WireFormat): Session {
  return {
    id: row.id,
    agent: row.agent,
    endpoint: row.endpoint,
    status: row.status as SessionStatus,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    current_run_id: row.current_run_id,
    message_count: row.message_seq,
    forked_from: row.forked_from === null ? null : { session_id: row.forked_from, message_id: row.forked_message_id ?? '', seq: row.forked_seq ?? 0 },
    idle_ttl_ms: Number(row.idle_ttl_ms),
    expires_at: wire.isoOrNull(row.expires_at === null ? null : Number(row.expires_at)),
    end_reason: row.end_reason,
    created_at: wire.iso(Number(row.created_at)),
    updated_at: wire.iso(Number(row.updated_at)),
    ended_at: wire.isoOrNull(row.ended_at === null ? null : Number(row.ended_at)),
  };
}

export function toMessage(row: SessionMessagesTable, wire: WireFormat): SessionMessage {
  return {
    id: row.id,
    session_id: row.session_id,
    seq: row.seq,
    role: row.role as 'user' | 'assistant',
    content: JSON.parse(row.content) as unknown,
    run_id: row.run_id,
    status: row.status,
    reply_to: row.role === 'assistant' ? row.turn : null,
    created_at: wire.iso(Number(row.created_at)),
  };
}
