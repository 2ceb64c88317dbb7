/**
 * The scale phase of the sessions benchmark: SESSIONS sessions of MESSAGES messages each, seeded
 * straight into the database (through the API it would take hours on a small machine and
 * measure the create path again), then the history list p50/p99 over random sessions through
 * the API, and the database's size. The server is stopped while the rows go in.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { log } from './log.ts';
import { startServerProcess } from './server-process.ts';
import { ms, percentile } from './stats.ts';

const AGENT = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'bench-scale' }, spec: { runtime: 'worker', endpoints: { say: { input: {}, output: {} } } } };
/** About what a short chat turn weighs: 160 characters of text as JSON. */
const TEXT = JSON.stringify({ text: 'x'.repeat(160) });

function seedSql(dialect: 'sqlite' | 'postgres', sessions: number, messages: number, now: number): string[] {
  const series = (name: string, n: number) => (dialect === 'sqlite' ? `WITH RECURSIVE ${name}(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM ${name} WHERE v < ${n})` : '');
  const from = (name: string, n: number) => (dialect === 'sqlite' ? name : `generate_series(1, ${n}) AS ${name}(v)`);
  const id = (prefix: string, expr: string, width: number) => (dialect === 'sqlite' ? `printf('${prefix}%0${width}d', ${expr})` : `'${prefix}' || lpad((${expr})::text, ${width}, '0')`);
  const sessionsSql = `${series('s', sessions)}
INSERT INTO sessions (tenant_id, id, agent, endpoint, status, metadata, current_run_id, message_seq, idle_ttl_ms, expires_at, created_at, updated_at)
SELECT 'default', ${id('ses_scale_', 's.v', 6)}, 'bench-scale', 'say', 'active', '{}', NULL, ${messages}, 86400000, ${now + 86_400_000}, ${now} + s.v, ${now} FROM ${from('s', sessions)}`;
  const messagesSql = `${dialect === 'sqlite' ? `WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < ${sessions}), m(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM m WHERE v < ${messages})` : ''}
INSERT INTO session_messages (tenant_id, session_id, seq, id, role, content, turn, run_id, status, created_at)
SELECT 'default', ${id('ses_scale_', 's.v', 6)}, m.v, ${id('msg_scale_', 's.v * 1000 + m.v', 10)},
  CASE WHEN m.v % 2 = 1 THEN 'user' ELSE 'assistant' END, '${TEXT}', m.v - 1 + m.v % 2, NULL,
  CASE WHEN m.v % 2 = 1 THEN 'succeeded' ELSE 'complete' END, ${now}
FROM ${from('s', sessions)}, ${from('m', messages)}`;
  return [sessionsSql, messagesSql];
}

export async function sessionScale(backend: 'sqlite' | 'postgres', sessions: number, messages: number, databaseUrl?: string): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentd-session-scale-'));
  const adminKey = randomBytes(24).toString('hex');
  try {
    const first = await startServerProcess({ dataDir, adminKey, databaseUrl, nodeArgs: [], serverArgs: [] });
    const r = await fetch(`${first.url}/v1/agents`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify(AGENT) });
    if (r.status !== 201) throw new Error(`deploy: ${r.status} ${await r.text()}`);
    await first.stop();
    const t0 = performance.now();
    const [sessionsSql, messagesSql] = seedSql(backend, sessions, messages, Date.now());
    let dbBytes: number;
    if (backend === 'sqlite') {
      const file = join(dataDir, 'agentd.db');
      const db = new DatabaseSync(file);
      db.exec('BEGIN');
      db.exec(sessionsSql);
      db.exec(messagesSql);
      db.exec('COMMIT');
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      db.close();
      dbBytes = statSync(file).size;
    } else {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(sessionsSql);
      await client.query(messagesSql);
      await client.query('ANALYZE sessions; ANALYZE session_messages');
      dbBytes = Number((await client.query("SELECT pg_total_relation_size('sessions') + pg_total_relation_size('session_messages') AS n")).rows[0].n);
      await client.end();
    }
    log(`${backend}: seeded ${sessions} sessions × ${messages} messages in ${Math.round(performance.now() - t0)} ms`);
    const server = await startServerProcess({ dataDir, adminKey, databaseUrl, nodeArgs: [], serverArgs: [] });
    try {
      const get = (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${adminKey}` } }).then(async (res) => {
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
        return res.json() as Promise<{ data: unknown[] }>;
      });
      const pick = () => `ses_scale_${String(1 + Math.floor(Math.random() * sessions)).padStart(6, '0')}`;
      for (let i = 0; i < 50; i++) await get(`/v1/sessions/${pick()}/messages?limit=100`);
      const first100: number[] = [];
      const later: number[] = [];
      for (let i = 0; i < 500; i++) {
        let t = performance.now();
        const page = await get(`/v1/sessions/${pick()}/messages?limit=100`);
        first100.push(performance.now() - t);
        if (page.data.length !== Math.min(100, messages)) throw new Error(`a page of ${page.data.length} messages`);
        t = performance.now();
        await get(`/v1/sessions/${pick()}/messages?limit=20&cursor=${Math.max(0, messages - 20)}`);
        later.push(performance.now() - t);
      }
      return {
        backend,
        scale_sessions: sessions,
        scale_messages_per_session: messages,
        scale_list100_p50_ms: ms(percentile(first100, 50)),
        scale_list100_p99_ms: ms(percentile(first100, 99)),
        scale_list_newest20_p99_ms: ms(percentile(later, 99)),
        scale_db_bytes: dbBytes,
        scale_bytes_per_message: Math.round(dbBytes / (sessions * messages)),
      };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
