/**
 * SQLite durability: a write is answered, and its events published, only after an fsync of the
 * WAL that began after its commit has finished; writes that arrive during an fsync commit together
 * after it and share the next; readers never see events not yet on disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './helpers/leak-check-after-file.ts';
import { spawnSync } from 'node:child_process';
import { fstatSync, fsync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import type { Database } from '../src/store/db-types.ts';
import { migrate } from '../src/store/migrate.ts';
import { IdGenerator, WireFormat } from '../src/core/index.ts';
import { openSqlite } from '../src/store/sqlite/sqlite-dialect.ts';
import { sqliteQueries } from '../src/store/sqlite/sqlite-queries.ts';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { WalSync } from '../src/store/sqlite/wal-sync.ts';
import { Checkpointer } from '../src/store/sqlite/checkpointer.ts';
import { WriteQueue, type CommitResult } from '../src/store/write-queue.ts';
import { openStore } from '../src/store/store.ts';
import { LoopHealth, silentLogger } from '../src/core/index.ts';

type SyncCallback = (err: NodeJS.ErrnoException | null) => void;

/** An fsync stand-in that holds each call until the test releases it (or fails it). */
class GatedSync {
  readonly calls: { fd: number; cb: SyncCallback }[] = [];
  readonly fn = ((fd: number, cb: SyncCallback) => {
    this.calls.push({ fd, cb });
  }) as unknown as typeof fsync;
  release(i: number, err: NodeJS.ErrnoException | null = null): void {
    this.calls[i].cb(err);
  }
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'agentd-walsync-'));
  const file = join(dir, 'agentd.db');
  const { dialect, raw } = openSqlite({ file, synchronous: 'NORMAL' });
  const db = new Kysely<Database>({ dialect });
  await migrate(db, SQLITE_MIGRATIONS, (fn) => fn());
  await db.insertInto('tenants').values({ id: 't1', name: 'T1', event_seq: 0, finding_seq: 0, created_at: 0 }).execute();
  const gate = new GatedSync();
  const walSync = new WalSync(file, { fsync: true, syncFile: gate.fn });
  const published: CommitResult[] = [];
  const writer = new WriteQueue({ db, queries: sqliteQueries(), ids: new IdGenerator(), wire: new WireFormat(), multiStatement: false, now: () => 1000, concurrency: 1, maxBatch: 100, onCommit: (r) => published.push(r), durability: walSync });
  /** A write that records one event for run `runId` of tenant t1. */
  const write = (runId: string) =>
    writer.write(async (ctx) => {
      ctx.events.push({ tenant_id: 't1', run_id: runId, agent: 'a', seq: 1, type: 'run.queued', at: ctx.now, data: {} });
      return runId;
    });
  const eventCount = () => (raw.prepare('SELECT count(*) AS n FROM run_events').get() as { n: number }).n;
  const cleanup = async () => {
    await db.destroy();
    walSync.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { file, gate, walSync, writer, write, published, eventCount, cleanup };
}

const tick = () => new Promise((r) => setImmediate(r));
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

test('a write is answered and published only after the WAL fsync that follows its commit', async () => {
  const s = await setup();
  try {
    let answered = false;
    const first = s.write('r1').then((v) => {
      answered = true;
      return v;
    });
    await settle();
    assert.equal(s.eventCount(), 1, 'committed to the database');
    assert.equal(s.gate.calls.length, 1, 'one fsync under way');
    assert.equal(answered, false, 'not answered before the fsync');
    assert.equal(s.published.length, 0, 'not published before the fsync');
    assert.equal(s.walSync.horizon('t1'), 0, 'readers see no event of the tenant yet');
    assert.equal(s.walSync.horizon('other'), Number.POSITIVE_INFINITY);

    // Writes that arrive while the fsync runs wait for it, then commit as one transaction and
    // share the next fsync.
    const second = s.write('r2');
    const third = s.write('r3');
    await settle();
    assert.equal(s.eventCount(), 1, 'nothing more commits while an fsync runs');
    assert.equal(s.gate.calls.length, 1);

    s.gate.release(0);
    assert.equal(await first, 'r1');
    assert.equal(s.published.length, 1);
    await settle();
    assert.equal(s.eventCount(), 3, 'both later writes committed once the fsync ended');
    assert.equal(s.published.length, 1, 'but are not published before their own fsync');
    assert.equal(s.walSync.horizon('t1'), 1, 'event 1 is on disk; 2 and 3 are not');
    assert.equal(s.gate.calls.length, 2, 'one fsync covers both later writes');
    s.gate.release(1);
    assert.deepEqual(await Promise.all([second, third]), ['r2', 'r3']);
    assert.equal(s.published.length, 2, 'one commit for both');
    assert.deepEqual(
      s.published.flatMap((r) => r.events.map((e) => e.id)),
      [1, 2, 3],
      'published in commit order',
    );
    assert.equal(s.walSync.horizon('t1'), Number.POSITIVE_INFINITY);
    // drain() resolves only when nothing waits for the disk.
    const next = s.write('r4');
    await settle();
    let drained = false;
    const d = s.writer.drain().then(() => (drained = true));
    await settle();
    assert.equal(drained, false, 'drain waits for the pending fsync');
    s.gate.release(2);
    await Promise.all([next, d]);
  } finally {
    await s.cleanup();
  }
});

test('events are hidden from readers from their insert until on disk, and for good if rolled back', async () => {
  const s = await setup();
  try {
    const ev = (id: number, tenant = 't1') => ({ tenant_id: tenant, run_id: 'r', agent: 'a', seq: 1, type: 'run.queued', at: 0, data: {}, id });
    s.walSync.track([ev(7), ev(8), ev(3, 't2')]);
    assert.equal(s.walSync.horizon('t1'), 6, 'inserted, not yet committed: hidden');
    assert.equal(s.walSync.horizon('t2'), 2);
    s.walSync.untrack([ev(7), ev(8), ev(3, 't2')]);
    assert.equal(s.walSync.horizon('t1'), Number.POSITIVE_INFINITY, 'rolled back: nothing to wait for');
    assert.equal(s.walSync.horizon('t2'), Number.POSITIVE_INFINITY);
  } finally {
    await s.cleanup();
  }
  // Without fsync (NORMAL) a commit is done at once, and its events are visible from then on.
  const dir = mkdtempSync(join(tmpdir(), 'agentd-walsync-'));
  try {
    const relaxed = new WalSync(join(dir, 'agentd.db'), { fsync: false });
    const e = { tenant_id: 't1', run_id: 'r', agent: 'a', seq: 1, type: 'run.queued', at: 0, data: {}, id: 1 };
    relaxed.track([e]);
    assert.equal(relaxed.horizon('t1'), 0);
    let done = false;
    relaxed.afterCommit({ events: [e], wakes: new Set() }, () => (done = true));
    assert.equal(done, true);
    assert.equal(relaxed.horizon('t1'), Number.POSITIVE_INFINITY);
    relaxed.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an fsync that fails answers its writes with an error; later writes succeed', async () => {
  const s = await setup();
  try {
    const failing = s.write('r1');
    await settle();
    s.gate.release(0, Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await assert.rejects(failing, /may not be on disk/);
    const ok = s.write('r2');
    await settle();
    s.gate.release(1);
    assert.equal(await ok, 'r2');
  } finally {
    await s.cleanup();
  }
});

test('the store fsyncs its WAL file before answering at FULL (the default), and not at NORMAL', async () => {
  for (const mode of [undefined, 'NORMAL'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'agentd-walsync-'));
    const synced: number[] = [];
    const syncFile = ((fd: number, cb: SyncCallback) => {
      synced.push(fd);
      fsync(fd, cb);
    }) as unknown as typeof fsync;
    try {
      const store = await openStore({ checkTenantScope: true, dataDir: dir, now: () => Date.now(), sqliteSynchronous: mode, sqliteSyncFile: syncFile });
      const answer = await store.writer.write(async (ctx) => {
        ctx.events.push({ tenant_id: 'default', run_id: 'r1', agent: 'a', seq: 1, type: 'run.queued', at: ctx.now, data: {} });
        return 'done';
      });
      assert.equal(answer, 'done');
      if (mode === 'NORMAL') assert.equal(synced.length, 0, 'NORMAL: no fsync per commit');
      else {
        assert.equal(synced.length, 1, 'FULL: one fsync for the commit');
        assert.equal(fstatSync(synced[0]).ino, statSync(join(dir, 'agentd.db-wal')).ino, 'of the WAL file');
      }
      assert.equal(store.eventHorizon('default'), Number.POSITIVE_INFINITY, 'nothing pending after the answer');
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('reads neither wait for an open write transaction nor see it before it commits (a connection of their own)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentd-walsync-'));
  try {
    const store = await openStore({ checkTenantScope: true, dataDir: dir, now: () => Date.now() });
    const count = async () => Number((await store.db.selectFrom('tenants').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    let seenInside = -1;
    await store.writer.write(async (ctx) => {
      await ctx.trx.insertInto('tenants').values({ id: 'other', name: 'Other', event_seq: 0, finding_seq: 0, created_at: ctx.now }).execute();
      // A read from elsewhere while the transaction is open, between two of its statements: on
      // the writer's connection it would wait for the commit, here it answers at once.
      seenInside = await count();
    });
    assert.equal(seenInside, before, 'the uncommitted row is invisible to reads');
    assert.equal(await count(), before + 1, 'and visible once committed');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('commits never checkpoint inline below the safety net; a background thread moves the WAL into the database file', async () => {
  const rows = (n: number) => async (ctx: import('../src/store/write-queue.ts').WriteContext) => {
    for (let i = 0; i < n; i++) {
      await ctx.trx.insertInto('tenants').values({ id: `t${i}`, name: 'x'.repeat(4000), event_seq: 0, finding_seq: 0, created_at: ctx.now }).execute();
    }
  };
  // No background checkpoint in this one (its first tick is a minute away): some 1,500 pages in
  // one commit, past SQLite's usual threshold of 1,000, stay in the WAL.
  const quiet = mkdtempSync(join(tmpdir(), 'agentd-walsync-'));
  const held = await openStore({ checkTenantScope: true, dataDir: quiet, now: () => Date.now(), sqliteCheckpointIntervalMs: 60_000 });
  try {
    const size = statSync(join(quiet, 'agentd.db')).size;
    await held.writer.write(rows(1500));
    assert.equal(statSync(join(quiet, 'agentd.db')).size, size, 'the commit wrote the WAL only');
    assert.ok(statSync(join(quiet, 'agentd.db-wal')).size > 1500 * 4000);
  } finally {
    await held.close();
    rmSync(quiet, { recursive: true, force: true });
  }
  // With the thread at its default pace, the rows reach the database file without another commit.
  const dir = mkdtempSync(join(tmpdir(), 'agentd-walsync-'));
  const store = await openStore({ checkTenantScope: true, dataDir: dir, now: () => Date.now() });
  try {
    const file = join(dir, 'agentd.db');
    const size = statSync(file).size;
    await store.writer.write(rows(100));
    const deadline = Date.now() + 5000;
    while (statSync(file).size < size + 100 * 4000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(statSync(file).size >= size + 100 * 4000, `the database file grew by the rows (${size} → ${statSync(file).size})`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('closing the store finishes even when nothing else keeps the process alive (the checkpoint thread does not let it exit early)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentd-walsync-'));
  try {
    const storeUrl = new URL('../src/store/store.ts', import.meta.url).href;
    const script = `import { openStore } from ${JSON.stringify(storeUrl)};
const store = await openStore({ checkTenantScope: true, dataDir: ${JSON.stringify(dir)}, now: () => Date.now() });
await store.writer.write(async (ctx) => { await ctx.trx.updateTable('tenants').set({ name: 'closed' }).execute(); });
await store.close();
console.log('closed');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'closed', `the code after close() ran: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint thread that cannot start reports it once, so the writer can take checkpoints back', async () => {
  const failures: Error[] = [];
  const checkpointer = new Checkpointer(join(tmpdir(), 'agentd-no-such-dir', 'nested', 'agentd.db'), { monitor: new LoopHealth({ logger: silentLogger() }).loop('sqlite-checkpointer'), onFailure: (err) => failures.push(err) });
  const deadline = Date.now() + 10_000;
  while (failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(failures.length, 1, 'told once, though the thread both failed and exited');
  await checkpointer.close();
});

test('closing the store closes every connection: no file of the database stays open and the WAL is removed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentd-walsync-'));
  const openFiles = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
      } catch {
        return false;
      }
    });
  try {
    // The read connection is never used here: it must be closed all the same.
    const store = await openStore({ checkTenantScope: true, dataDir: dir, now: () => Date.now() });
    assert.ok(openFiles().length > 0);
    await store.close();
    assert.deepEqual(openFiles(), []);
    assert.deepEqual(readdirSync(dir), ['agentd.db'], 'the last connection to close checkpointed and removed the WAL');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
