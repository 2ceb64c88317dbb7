/**
 * Row types of sessions (sessions/): a conversation with an agent and its history. A message is
 * a run (`runs.session_id`); `db-types.ts` holds the Database map that names these tables.
 */
export interface SessionsTable {
  tenant_id: string;
  id: string;
  agent: string;
  endpoint: string;
  /** `active` | `paused` | `ended`. */
  status: string;
  metadata: string;
  /** The run of the message in flight: set only from null (or by an interrupt, under the row's lock), cleared in the run's ending transaction. */
  current_run_id: string | null;
  /** The seq of the newest message (the history's length, counting the ones a fork copied). */
  message_seq: number;
  forked_from: string | null;
  forked_message_id: string | null;
  forked_seq: number | null;
  idle_ttl_ms: number;
  /** When the session ends itself; null while a message is in flight and once ended. */
  expires_at: number | null;
  end_reason: string | null;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
}

export interface SessionMessagesTable {
  tenant_id: string;
  session_id: string;
  seq: number;
  id: string;
  /** `user` | `assistant`. */
  role: string;
  /** JSON. */
  content: string;
  /** The seq of the user message this belongs to (its own for a user message): the turn, for the history a run sees. */
  turn: number;
  run_id: string | null;
  status: string;
  created_at: number;
}
