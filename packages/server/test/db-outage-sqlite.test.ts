/**
 * Hardening item 4 on SQLite: the disk holding the data directory fills up under load (a small
 * tmpfs mounted for this test, filled by a file of this test), then is freed again. Creates must
 * fail with 503 UNAVAILABLE + Retry-After meanwhile (never hang, never crash the server), the
 * server must carry on by itself once there is space, every acknowledged run must be present and
 * the file must pass `PRAGMA integrity_check`.
 *
 * Mounting needs root (CAP_SYS_ADMIN); elsewhere the test is skipped with a notice. A read-only
 * remount cannot stand in for "read-only file": Linux refuses it (EBUSY) while agentd holds the
 * database open for writing, and a chmod does not affect an open descriptor.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { killAllChildren, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';

const PRODUCERS = 6;
const TMPFS_SIZE = '24m';
const REQUEST_LIMIT_MS = 20_000;

const MANIFEST = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'diskfull' },
  // Inputs of a few KB make the database grow quickly, so the full disk is met within seconds.
  spec: { runtime: 'worker', endpoints: { work: { input: { type: 'object' }, output: { type: 'object' } } } },
};

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tryMount(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `cannot mount a tmpfs (${String((err as { stderr?: Buffer }).stderr ?? err).trim()})`;
  }
}

/** Fills the file system with one file until ENOSPC; returns its path and size. */
function fill(dir: string): { path: string; bytes: number } {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    for (const size of [1 << 20, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          bytes += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return { path, bytes };
}

const mountPoint = mkdtempSync(join(tmpdir(), 'agentd-diskfull-'));
const why = tryMount(mountPoint);
if (why) {
  process.stderr.write(`db-outage-sqlite: skipped (${why})\n`);
  rmSync(mountPoint, { recursive: true, force: true });
}

describe('SQLite: the disk fills up under load, then is freed', { skip: why ?? false }, () => {
  let server: ServerProcess;
  const dataDir = join(mountPoint, 'data');

  before(async () => {
    server = await startServerProcess({ dataDir });
    const r = await server.api('POST', '/v1/agents', MANIFEST);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });

  after(async () => {
    await server?.stop();
    await killAllChildren();
    try {
      execFileSync('umount', [mountPoint], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
    }
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('answers 503 while full, recovers when freed, loses nothing acknowledged, no corruption', async (t) => {
    const acked = new Set<string>();
    const statuses = new Map<number, number>();
    const codes = new Map<string, number>();
    let missingRetryAfter = 0;
    let hung = 0;
    let connectionErrors = 0;
    let phase: 'before' | 'full' | 'freed' = 'before';
    const ackedIn = { before: 0, full: 0, freed: 0 };
    let firstAckFreed: number | null = null;
    let stop = false;
    const padding = 'x'.repeat(4000);

    const producer = async (p: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${server.url}/v1/runs`, {
            method: 'POST',
            headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ agent: 'diskfull', endpoint: 'work', input: { p, i, padding } }),
            signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const body = (await res.json()) as { id?: string; error?: { code: string } };
          if (res.status === 201) {
            acked.add(body.id!);
            ackedIn[phase]++;
            if (phase === 'freed') firstAckFreed ??= performance.now();
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

    const producing = Array.from({ length: PRODUCERS }, (_, p) => producer(p));
    let filler: { path: string; bytes: number };
    let unavailableAfterMs: number;
    let recoverySeconds: number;
    try {
      await waitUntil(() => acked.size >= 200, { timeoutMs: 30_000, what: '200 runs acknowledged before the disk fills' });
      phase = 'full';
      filler = fill(mountPoint);
      const filled = performance.now();
      // The WAL reuses its space until a checkpoint can no longer grow the database file: 503s follow within a moment.
      await waitUntil(() => (statuses.get(503) ?? 0) >= 20, { timeoutMs: 30_000, what: '503s once the disk is full' });
      unavailableAfterMs = performance.now() - filled;
      await delay(1000);
      unlinkSync(filler.path);
      const freed = performance.now();
      phase = 'freed';
      await waitUntil(() => firstAckFreed !== null, { timeoutMs: 30_000, what: 'a create acknowledged once the disk has space again' });
      recoverySeconds = (firstAckFreed! - freed) / 1000;
      await waitUntil(() => ackedIn.freed >= 200, { timeoutMs: 30_000, what: '200 runs acknowledged after the disk was freed' });
    } finally {
      stop = true;
      await Promise.all(producing);
    }
    assert.ok(server.running, `the server process is alive; stderr:\n${server.current?.stderr}`);
    const ready = await fetch(`${server.url}/v1/health/ready`);
    assert.equal(ready.status, 200);
    await ready.body?.cancel();
    await server.stop();

    const file = new DatabaseSync(join(dataDir, 'agentd.db'));
    let integrity: string;
    let stored: Set<string>;
    try {
      integrity = (file.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
      stored = new Set((file.prepare("SELECT id FROM runs WHERE agent = 'diskfull'").all() as { id: string }[]).map((r) => r.id));
    } finally {
      file.close();
    }
    const present = [...acked].filter((id) => stored.has(id)).length;

    t.diagnostic(`tmpfs ${TMPFS_SIZE}, filled with ${(filler!.bytes / 1048576).toFixed(1)} MiB; 503s began ${Math.round(unavailableAfterMs!)} ms after the disk was full; first create acknowledged ${recoverySeconds!.toFixed(2)} s after it was freed`);
    t.diagnostic(`acknowledged ${acked.size} (before ${ackedIn.before}, while full ${ackedIn.full}, after ${ackedIn.freed}); present after a clean stop ${present}/${acked.size}; integrity_check ${integrity}`);
    t.diagnostic(`statuses ${JSON.stringify(Object.fromEntries(statuses))}, error codes ${JSON.stringify(Object.fromEntries(codes))}, connection errors ${connectionErrors}, hung ${hung}`);

    assert.equal(integrity, 'ok');
    assert.equal(present, acked.size, 'every acknowledged run is present');
    assert.equal(hung, 0, 'no request waited past the limit');
    assert.equal(connectionErrors, 0);
    assert.deepEqual([...statuses.keys()].filter((s) => s !== 201 && s !== 503), [], 'only 201 and 503');
    assert.deepEqual([...codes.keys()], ['UNAVAILABLE']);
    assert.equal(missingRetryAfter, 0, 'every 503 carries Retry-After');
  });
});
