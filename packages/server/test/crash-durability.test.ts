/**
 * TESTPLAN 1 (and 3 for PostgreSQL): `kill -9` the real server process repeatedly while several
 * producers create runs. Nothing acknowledged (a 201 whose body was read) may be lost; on SQLite
 * the file must pass `PRAGMA integrity_check` afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { killAllChildren, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';

const PRODUCERS = 8;
const KILLS = 3;
/** Each phase between kills lasts at least this long and acknowledges at least MIN_ACKS runs. */
const PHASE_MS = 700;
const MIN_ACKS = 100;

const MANIFEST = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'durable' },
  spec: {
    runtime: 'worker',
    endpoints: {
      work: {
        input: { type: 'object', properties: { p: { type: 'integer' }, i: { type: 'integer' } }, required: ['p', 'i'] },
        output: { type: 'object' },
      },
    },
  },
};

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const d of await dialects()) {
  describe(`crash durability: kill -9 the server while runs are created (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess;

    before(async () => {
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-crash-'));
      server = await startServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined });
      const r = await server.api('POST', '/v1/agents', MANIFEST);
      assert.equal(r.status, 201, JSON.stringify(r.body));
    });

    after(async () => {
      await server?.stop();
      await killAllChildren();
      await db?.cleanup();
      if (d.name === 'postgres' && dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it(`keeps every acknowledged run across ${KILLS} kill -9s and restarts`, async (t) => {
      /** run id → the input it was created with, for every 201 whose body arrived. */
      const acked = new Map<string, { p: number; i: number }>();
      const statuses = new Map<number, number>();
      const notQueued: string[] = [];
      let connectionErrors = 0;
      let stop = false;

      const producer = async (p: number) => {
        for (let i = 0; !stop; i++) {
          const input = { p, i };
          try {
            const res = await fetch(`${server.url}/v1/runs`, {
              method: 'POST',
              headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
              body: JSON.stringify({ agent: 'durable', endpoint: 'work', input }),
              signal: AbortSignal.timeout(15_000),
            });
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status === 201) {
              const run = (await res.json()) as { id: string; status: string };
              if (run.status !== 'queued') notQueued.push(run.id);
              acked.set(run.id, input);
            } else {
              await res.body?.cancel();
            }
          } catch {
            // Refused, reset or cut off mid-answer: not acknowledged. Retry soon.
            connectionErrors++;
            await delay(50);
          }
        }
      };

      const began = performance.now();
      const producing = Array.from({ length: PRODUCERS }, (_, p) => producer(p));
      const phase = async (label: string) => {
        const from = acked.size;
        const start = performance.now();
        await waitUntil(() => acked.size - from >= MIN_ACKS && performance.now() - start >= PHASE_MS, { timeoutMs: 30_000, what: `${MIN_ACKS} acknowledged runs (${label})` });
      };
      try {
        for (let k = 0; k < KILLS; k++) {
          await phase(`before kill ${k + 1}`);
          const exit = await server.kill('SIGKILL');
          assert.equal(exit?.signal, 'SIGKILL');
          await server.restart();
        }
        await phase('after the last restart');
      } finally {
        stop = true;
        await Promise.all(producing);
      }
      const producingMs = performance.now() - began;

      // Every response was a 201: a 5xx or 4xx under crash-restart would be a bug, not a retry case.
      assert.deepEqual([...statuses.keys()], [201], `statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);

      // 1. Every acknowledged id answers 200 with the input it was created with.
      const ids = [...acked.keys()];
      const missing: string[] = [];
      const wrong: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < ids.length) {
            const id = ids[next++];
            const r = await server.api('GET', `/v1/runs/${id}`);
            if (r.status !== 200) missing.push(`${id}: ${r.status}`);
            else if (r.body.input.p !== acked.get(id)!.p || r.body.input.i !== acked.get(id)!.i) wrong.push(id);
          }
        }),
      );

      // 2. Everything present, acknowledged or not (the runs in flight at a kill may be either).
      const present = new Set<string>();
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { data: { id: string }[]; next_cursor: string | null } } = await server.api('GET', `/v1/runs?agent=durable&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(page.status, 200);
        for (const r of page.body.data) present.add(r.id);
        cursor = page.body.next_cursor;
      } while (cursor);
      const ackedPresent = ids.filter((id) => present.has(id)).length;

      // 3. One more kill -9, then read the database directly.
      await server.kill('SIGKILL');
      let integrity = 'n/a';
      let storedIds: Set<string>;
      if (d.name === 'sqlite') {
        const file = new DatabaseSync(join(dataDir, 'agentd.db'));
        try {
          const rows = file.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[];
          integrity = rows.map((r) => r.integrity_check).join('; ');
          storedIds = new Set((file.prepare("SELECT id FROM runs WHERE agent = 'durable'").all() as { id: string }[]).map((r) => r.id));
        } finally {
          file.close();
        }
      } else {
        const c = new pg.Client({ connectionString: db.location });
        await c.connect();
        try {
          storedIds = new Set((await c.query<{ id: string }>("SELECT id FROM runs WHERE agent = 'durable'")).rows.map((r) => r.id));
        } finally {
          await c.end();
        }
      }
      const storedAcked = ids.filter((id) => storedIds.has(id)).length;

      const restartMs = server.readyMs.slice(1).map((ms) => Math.round(ms));
      t.diagnostic(`${d.name}: ${KILLS} kill -9s in ${(producingMs / 1000).toFixed(1)} s of ${PRODUCERS} producers; acknowledged ${acked.size}, present via API ${ackedPresent}/${acked.size}, in the database after a final kill -9 ${storedAcked}/${acked.size}`);
      t.diagnostic(`${d.name}: runs stored ${present.size} (committed but unacknowledged ${present.size - ackedPresent}); connection errors seen by producers ${connectionErrors}`);
      t.diagnostic(`${d.name}: restart-to-ready ms ${JSON.stringify(restartMs)} (first start ${Math.round(server.readyMs[0])} ms); integrity_check ${integrity}`);

      assert.ok(acked.size >= (KILLS + 1) * MIN_ACKS);
      assert.deepEqual(notQueued, [], 'a created run answers queued');
      assert.deepEqual(missing, [], 'every acknowledged run is found');
      assert.deepEqual(wrong, [], 'every acknowledged run has the input it was created with');
      assert.equal(ackedPresent, acked.size);
      assert.equal(storedAcked, acked.size, 'every acknowledged run is in the database after a final kill -9');
      assert.ok(present.size >= acked.size);
      if (d.name === 'sqlite') assert.equal(integrity, 'ok');
      assert.equal(server.readyMs.length, KILLS + 1);
    });
  });
}
