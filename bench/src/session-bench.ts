/**
 * The sessions benchmark, run alone (not part of `npm run bench`):
 *
 *   node --conditions=@agentd/source bench/src/session-bench.ts
 *
 * Per backend (SQLite, then PostgreSQL in its own database `agentd_bench_sessions`), one JSON
 * line on stdout: session create p50/p99 (sequential `POST /v1/sessions`); the per-message
 * overhead against a direct run (`POST /v1/sessions/{id}/messages` against `POST /v1/runs` of the
 * same endpoint, interleaved, each message to its own session so none is busy, no worker: the
 * create path alone); the reply round trip against a run's (send → reply appended, run → run
 * succeeded, an SDK worker completing them); and the history list p99 of a session with
 * AGENTD_BENCH_SESSION_TURNS turns (default 100: 200 messages), with the database size after;
 * then the scale phase (session-scale.ts): AGENTD_BENCH_SESSION_SCALE (default 10000x100)
 * sessions × messages, the history list p99 and the database size.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agentd } from '@agentd/sdk';
import { silentLogger, Worker } from '@agentd/sdk/worker';
import { BenchHttp } from './http-client.ts';
import { log } from './log.ts';
import { createBenchDatabase, postgresUnreachable } from './postgres-db.ts';
import { startServerProcess } from './server-process.ts';
import { ms, percentile } from './stats.ts';
import { sessionScale } from './session-scale.ts';

const SAMPLES = Number(process.env.AGENTD_BENCH_SESSION_SAMPLES ?? 500);
const TURNS = Number(process.env.AGENTD_BENCH_SESSION_TURNS ?? 100);
const ROUND_TRIPS = Number(process.env.AGENTD_BENCH_SESSION_ROUND_TRIPS ?? 100);
/** `<sessions>x<messages>` of the scale phase (seeded into the database); `0` skips it. */
const SCALE = process.env.AGENTD_BENCH_SESSION_SCALE ?? '10000x100';
const PG_ADMIN = process.env.AGENTD_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

const AGENT = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'bench-chat' }, spec: { runtime: 'worker', endpoints: { say: { input: {}, output: {} } } } };
const IDLE = { ...AGENT, metadata: { name: 'bench-chat-idle' } };

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function expect(status: number, text: string, want: number): void {
  if (status !== want) throw new Error(`expected ${want}, got ${status}: ${text.slice(0, 300)}`);
}

async function benchBackend(backend: 'sqlite' | 'postgres', databaseUrl?: string): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentd-session-bench-'));
  const adminKey = randomBytes(24).toString('hex');
  const server = await startServerProcess({ dataDir, adminKey, databaseUrl, nodeArgs: [], serverArgs: [] });
  const http = new BenchHttp(server.url, adminKey, 4);
  const client = new Agentd({ baseURL: server.url, apiKey: adminKey });
  let worker: Worker | null = null;
  let running: Promise<void> | null = null;
  try {
    await client.agents.deploy(AGENT);
    await client.agents.deploy(IDLE);
    const createSession = async (agent: string) => {
      const r = await http.post('/v1/sessions', JSON.stringify({ agent, endpoint: 'say' }));
      expect(r.status, r.text, 201);
      return (JSON.parse(r.text) as { id: string }).id;
    };
    // 1. Session create, sequential (after a warm-up).
    for (let i = 0; i < 50; i++) await createSession('bench-chat-idle');
    const creates: number[] = [];
    const idleSessions: string[] = [];
    for (let i = 0; i < SAMPLES; i++) creates.push(await timed(async () => idleSessions.push(await createSession('bench-chat-idle'))));
    log(`${backend}: ${SAMPLES} session creates`);
    // 2. A message against a direct run of the same endpoint: the create path, no worker.
    const messages: number[] = [];
    const runs: number[] = [];
    const runBody = JSON.stringify({ agent: 'bench-chat-idle', endpoint: 'say', input: { n: 1 } });
    const messageBody = JSON.stringify({ content: { n: 1 } });
    for (let i = 0; i < 20; i++) await http.post('/v1/runs', runBody);
    const created = async (path: string, body: string) => {
      const r = await http.post(path, body);
      expect(r.status, r.text, 201);
    };
    for (let i = 0; i < SAMPLES; i++) {
      runs.push(await timed(() => created('/v1/runs', runBody)));
      messages.push(await timed(() => created(`/v1/sessions/${idleSessions[i]}/messages`, messageBody)));
    }
    log(`${backend}: ${SAMPLES} messages and ${SAMPLES} direct runs`);
    // 3. Round trips with a worker: a message until its reply is appended, a run until it succeeded.
    worker = new Worker({ client, agent: 'bench-chat', handleSignals: false, logger: silentLogger, concurrency: 4, endpoints: { say: async (input: unknown) => ({ echo: input }) } });
    running = worker.run();
    const chat = await client.sessions.create({ agent: 'bench-chat', endpoint: 'say' });
    const replyTrips: number[] = [];
    const runTrips: number[] = [];
    for (let i = 0; i < ROUND_TRIPS + TURNS; i++) {
      const reply = await timed(() => client.sessions.send(chat.id, { n: i }).finalReply());
      if (i >= 10 && replyTrips.length < ROUND_TRIPS) replyTrips.push(reply);
      if (i < ROUND_TRIPS + 10) {
        const run = await timed(async () => client.runs.wait((await client.runs.create({ agent: 'bench-chat', endpoint: 'say', input: { n: i } })).id));
        if (i >= 10) runTrips.push(run);
      }
    }
    log(`${backend}: ${ROUND_TRIPS} round trips each; a session of ${ROUND_TRIPS + TURNS} turns`);
    // 4. The history of that session, listed 100 at a time from the start.
    const lists: number[] = [];
    for (let i = 0; i < 200; i++) lists.push(await timed(() => fetch(`${server.url}/v1/sessions/${chat.id}/messages?limit=100`, { headers: { authorization: `Bearer ${adminKey}` } }).then((r) => r.text())));
    const sqliteFile = join(dataDir, 'agentd.db');
    let dbBytes: number | null = null;
    try {
      dbBytes = statSync(sqliteFile).size + (statSync(`${sqliteFile}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    } catch {
      dbBytes = null; // PostgreSQL: no file here
    }
    return {
      backend,
      session_create_p50_ms: ms(percentile(creates, 50)),
      session_create_p99_ms: ms(percentile(creates, 99)),
      message_create_p50_ms: ms(percentile(messages, 50)),
      message_create_p99_ms: ms(percentile(messages, 99)),
      run_create_p50_ms: ms(percentile(runs, 50)),
      run_create_p99_ms: ms(percentile(runs, 99)),
      message_overhead_p50_ms: ms(percentile(messages, 50) - percentile(runs, 50)),
      reply_round_trip_p50_ms: ms(percentile(replyTrips, 50)),
      run_round_trip_p50_ms: ms(percentile(runTrips, 50)),
      history_messages: (ROUND_TRIPS + TURNS) * 2,
      history_list_p50_ms: ms(percentile(lists, 50)),
      history_list_p99_ms: ms(percentile(lists, 99)),
      sqlite_bytes: dbBytes,
      samples: SAMPLES,
    };
  } finally {
    await worker?.stop();
    await running;
    await http.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const scale = /^(\d+)x(\d+)$/.exec(SCALE);
const withScale = async (backend: 'sqlite' | 'postgres', databaseUrl?: string, reset?: () => Promise<string>) => {
  const line = await benchBackend(backend, databaseUrl);
  if (!scale) return line;
  return { ...line, ...(await sessionScale(backend, Number(scale[1]), Number(scale[2]), reset ? await reset() : undefined)) };
};
process.stdout.write(`${JSON.stringify(await withScale('sqlite'))}\n`);
const why = await postgresUnreachable(PG_ADMIN);
if (why) process.stdout.write(`${JSON.stringify({ backend: 'postgres', skipped: why })}\n`);
else {
  let db = await createBenchDatabase(PG_ADMIN, 'agentd_bench_sessions');
  try {
    // The scale phase starts from an empty database of its own.
    const reset = async () => {
      await db.drop();
      db = await createBenchDatabase(PG_ADMIN, 'agentd_bench_sessions');
      return db.url;
    };
    process.stdout.write(`${JSON.stringify(await withScale('postgres', db.url, reset))}\n`);
  } finally {
    await db.drop();
  }
}
