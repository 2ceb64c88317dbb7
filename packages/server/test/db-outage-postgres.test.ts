/**
 * TESTPLAN 3 / hardening item 4: PostgreSQL stopped with `pg_ctl stop -m immediate` under load
 * and started again. The agentd server process (on a private PostgreSQL of this test, never the
 * shared one) must survive it, answer 503 UNAVAILABLE with Retry-After meanwhile (readiness
 * included), carry on by itself once the database is back, keep every run it acknowledged, and
 * let no request wait forever (creates, long-polls); an SSE stream open across the outage either
 * carries on or ends, and resuming it with Last-Event-ID misses nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { killAllChildren, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';
import { PrivatePostgres, privatePostgresUnavailable } from './helpers/private-postgres.ts';
import { readSse, type SseFrame } from './helpers/sse-client.ts';

const PRODUCERS = 6;
const BEFORE_MS = 1500;
const OUTAGE_MS = 2500;
const AFTER_MS = 1500;
/** A request still unanswered after this is a hang (the bound the test enforces). */
const REQUEST_LIMIT_MS = 20_000;

const MANIFEST = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'outage' },
  spec: { runtime: 'worker', endpoints: { work: { input: { type: 'object' }, output: { type: 'object' } } } },
};

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const why = await privatePostgresUnavailable();
if (why && process.env.CI === 'true') throw new Error(`the PostgreSQL outage test needs a private PostgreSQL under CI=true: ${why}`);
if (why) process.stderr.write(`db-outage-postgres: skipped (${why})\n`);

describe('PostgreSQL stopped (-m immediate) and started again under load', { skip: why ?? false }, () => {
  let pgServer: PrivatePostgres;
  let server: ServerProcess;
  let dataDir: string;

  before(async () => {
    pgServer = await PrivatePostgres.create();
    dataDir = mkdtempSync(join(tmpdir(), 'agentd-outage-'));
    server = await startServerProcess({ dataDir, databaseUrl: pgServer.url });
    const r = await server.api('POST', '/v1/agents', MANIFEST);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });

  after(async () => {
    await server?.stop();
    await killAllChildren();
    await pgServer?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('survives, answers 503 meanwhile, recovers by itself, loses nothing acknowledged', async (t) => {
    const acked = new Set<string>();
    const statuses = new Map<number, number>();
    const codes = new Map<string, number>();
    let missingRetryAfter = 0;
    let hung = 0;
    let connectionErrors = 0;
    let phase: 'before' | 'outage' | 'after' = 'before';
    const ackedIn = { before: 0, outage: 0, after: 0 };
    let stop = false;
    let firstAckAfterRestart: number | null = null;

    const producer = async (p: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${server.url}/v1/runs`, {
            method: 'POST',
            headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ agent: 'outage', endpoint: 'work', input: { p, i } }),
            signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const body = (await res.json()) as { id?: string; error?: { code: string } };
          if (res.status === 201) {
            acked.add(body.id!);
            ackedIn[phase]++;
            if (phase === 'after') {
              firstAckAfterRestart ??= performance.now();
              afterIds.add(body.id!);
            }
          } else {
            codes.set(body.error!.code, (codes.get(body.error!.code) ?? 0) + 1);
            if (res.status === 503 && !res.headers.get('retry-after')) missingRetryAfter++;
            await delay(50);
          }
        } catch (err) {
          if ((err as Error).name === 'TimeoutError') hung++;
          else connectionErrors++;
          await delay(50);
        }
      }
    };

    // A worker long-polling through the outage: every poll must end (tasks, empty, or 503).
    const pollOutcomes = new Map<string, number>();
    const poller = async () => {
      while (!stop) {
        try {
          const res = await fetch(`${server.url}/v1/worker/lease`, {
            method: 'POST',
            headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ agent: 'outage', max_tasks: 1, wait_ms: 1000 }),
            signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
          });
          await res.body?.cancel();
          pollOutcomes.set(String(res.status), (pollOutcomes.get(String(res.status)) ?? 0) + 1);
          if (res.status !== 200) await delay(50);
        } catch (err) {
          const k = (err as Error).name === 'TimeoutError' ? 'hung' : 'connection error';
          pollOutcomes.set(k, (pollOutcomes.get(k) ?? 0) + 1);
          await delay(50);
        }
      }
    };

    const readyStatus = async () => {
      const res = await fetch(`${server.url}/v1/health/ready`, { signal: AbortSignal.timeout(REQUEST_LIMIT_MS) });
      const body = (await res.json()) as { error?: { code: string } };
      return { status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after') };
    };

    // The tenant's event stream, open from the start: it must deliver an event committed after
    // the restart, on the same connection or (if the outage ended it) on a resumed one.
    const afterIds = new Set<string>();
    const frames: SseFrame[] = [];
    const streams: { closedByServer: boolean }[] = [];
    const follow = async () => {
      while (!stop) {
        const last = frames.at(-1)?.id ?? undefined;
        const r = await readSse(`${server.url}/v1/events`, {
          key: server.adminKey,
          lastEventId: last ?? '0',
          timeoutMs: 60_000,
          stopAfter: (f) => {
            frames.push(f);
            return afterIds.has((JSON.parse(f.data) as { run_id: string }).run_id);
          },
        }).catch((err: unknown) => ({ frames: [], closedByServer: true, error: err }));
        streams.push({ closedByServer: r.closedByServer });
        if (!r.closedByServer) return; // an event from after the restart arrived
        await delay(200);
      }
    };
    const following = follow();
    const producing = [...Array.from({ length: PRODUCERS }, (_, p) => producer(p)), poller()];
    let readyDuring: Awaited<ReturnType<typeof readyStatus>>;
    let recoverySeconds: number;
    let readySeconds: number;
    try {
      await delay(BEFORE_MS);
      phase = 'outage';
      await pgServer.stopImmediate();
      await delay(OUTAGE_MS / 2);
      readyDuring = await readyStatus();
      await delay(OUTAGE_MS / 2);
      await pgServer.start();
      const restarted = performance.now();
      phase = 'after';
      await waitUntil(async () => (await readyStatus()).status === 200, { timeoutMs: 30_000, intervalMs: 50, what: 'ready again' });
      readySeconds = (performance.now() - restarted) / 1000;
      await waitUntil(() => firstAckAfterRestart !== null, { timeoutMs: 30_000, what: 'a create acknowledged after the restart' });
      recoverySeconds = (firstAckAfterRestart! - restarted) / 1000;
      await delay(AFTER_MS);
      await waitUntil(() => streams.length > 0 && !streams.at(-1)!.closedByServer, { timeoutMs: 30_000, what: 'the event stream to deliver an event from after the restart' });
    } finally {
      stop = true;
      await Promise.all([...producing, following]);
    }
    const ids = frames.map((f) => Number(f.id));
    const gaps = ids.filter((id, i) => i > 0 && id !== ids[i - 1] + 1).length;

    assert.ok(server.running, `the server process is alive (exit ${JSON.stringify(server.current?.exit)}); stderr:\n${server.current?.stderr}`);
    assert.doesNotMatch(server.current!.stderr, /Unhandled 'error' event/);

    // Every acknowledged run is in the database, read directly.
    const c = new pg.Client({ connectionString: pgServer.url });
    await c.connect();
    let stored: Set<string>;
    try {
      stored = new Set((await c.query<{ id: string }>("SELECT id FROM runs WHERE agent = 'outage'")).rows.map((r) => r.id));
    } finally {
      await c.end();
    }
    const present = [...acked].filter((id) => stored.has(id)).length;

    t.diagnostic(`acknowledged ${acked.size} (before ${ackedIn.before}, during the outage ${ackedIn.outage}, after ${ackedIn.after}); present after the restart ${present}/${acked.size}`);
    t.diagnostic(`statuses ${JSON.stringify(Object.fromEntries(statuses))}, error codes ${JSON.stringify(Object.fromEntries(codes))}, connection errors ${connectionErrors}, hung ${hung}`);
    t.diagnostic(`ready during the outage: ${JSON.stringify(readyDuring!)}; ready again ${readySeconds!.toFixed(2)} s after PostgreSQL was back, first create acknowledged ${recoverySeconds!.toFixed(2)} s after`);
    t.diagnostic(`long-polls through the outage: ${JSON.stringify(Object.fromEntries(pollOutcomes))}`);
    t.diagnostic(`event stream: ${frames.length} frames over ${streams.length} connection(s) (${streams.filter((x) => x.closedByServer).length} ended by the server), id gaps ${gaps}`);

    assert.equal(present, acked.size, 'every acknowledged run survived');
    assert.equal(hung, 0, 'no create waited past the limit');
    assert.equal(pollOutcomes.get('hung') ?? 0, 0, 'no long-poll waited past the limit');
    assert.deepEqual([...statuses.keys()].filter((s) => s !== 201 && s !== 503), [], 'only 201 and 503');
    assert.ok((statuses.get(503) ?? 0) > 0, 'the outage was seen as 503s');
    assert.deepEqual([...codes.keys()], ['UNAVAILABLE']);
    assert.equal(missingRetryAfter, 0, 'every 503 carries Retry-After');
    assert.deepEqual({ status: readyDuring!.status, code: readyDuring!.code }, { status: 503, code: 'UNAVAILABLE' });
    assert.ok(readyDuring!.retryAfter);
    assert.ok(ackedIn.before > 0 && ackedIn.after > 0, 'creates succeeded before and after the outage');
    assert.equal(connectionErrors, 0, 'the server never dropped a connection');
    assert.equal(gaps, 0, 'the event stream, resumed with Last-Event-ID, skipped nothing');
  });
});
