/**
 * Sessions (sessions/): a conversation with an agent, its history stored once, and the run of each
 * message (`runs.session_id`). `current_run_id` is the one message in flight: the send that sets
 * it holds the session row (a compare-and-set from null on every node), and the run's ending
 * transaction clears it and admits the next enqueued message. runs_session finds a session's runs
 * (its event stream); sessions_idle is the timer leader's scan of sessions idle past their TTL.
 */
export const POSTGRES_SESSIONS = `
ALTER TABLE runs ADD COLUMN session_id TEXT;
CREATE INDEX runs_session ON runs (tenant_id, session_id) WHERE session_id IS NOT NULL;
CREATE TABLE sessions (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  id TEXT NOT NULL,
  agent TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  status TEXT NOT NULL,
  metadata TEXT NOT NULL,
  current_run_id TEXT,
  message_seq INTEGER NOT NULL DEFAULT 0,
  forked_from TEXT,
  forked_message_id TEXT,
  forked_seq INTEGER,
  idle_ttl_ms BIGINT NOT NULL,
  expires_at BIGINT,
  end_reason TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  ended_at BIGINT,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sessions_list ON sessions (tenant_id, created_at DESC, id DESC);
CREATE INDEX sessions_idle ON sessions (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE session_messages (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  turn INTEGER NOT NULL,
  run_id TEXT,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, session_id, seq)
);
CREATE UNIQUE INDEX session_messages_id ON session_messages (tenant_id, id);
CREATE INDEX session_messages_run ON session_messages (tenant_id, run_id) WHERE run_id IS NOT NULL;
CREATE INDEX session_messages_queued ON session_messages (tenant_id, session_id, seq) WHERE status = 'queued';
`;
