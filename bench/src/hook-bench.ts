/**
 * Signed inbound deliveries per second (`npm run bench:hooks`, on its own: not part of
 * `npm run bench`). One SQLite server in a child process, a trigger on a no-op agent, N deliveries
 * signed beforehand by the standardwebhooks library (so signing costs the clock nothing), sent by
 * C producers over keep-alive connections; then the same N again (every one a repeat: 200, nothing
 * started). No worker: the runs stay queued, so what is measured is intake: verify, rate check,
 * dedupe, map, validate, and the run with its receipt and log row committed. One JSON line on stdout.
 *
 * AGENTD_BENCH_HOOKS (N, default 20,000), AGENTD_BENCH_HOOK_PRODUCERS (C, default 64).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { log } from './log.ts';
import { ms, percentile, perSecond } from './stats.ts';
import { startServerProcess } from './server-process.ts';

const N = Number(process.env.AGENTD_BENCH_HOOKS ?? 20_000);
const PRODUCERS = Number(process.env.AGENTD_BENCH_HOOK_PRODUCERS ?? 64);
const AGENT = 'bench-hook';

interface Signed {
  body: string;
  headers: Record<string, string>;
}

async function api(pool: Pool, key: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
  const res = await pool.request({ path, method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path} → ${res.statusCode} ${text}`);
  return JSON.parse(text);
}

/** Sends every delivery, C at a time; the statuses seen and each request's round trip. */
async function send(pool: Pool, path: string, deliveries: Signed[]): Promise<{ seconds: number; statuses: Map<number, number>; latencies: number[] }> {
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (next < deliveries.length) {
        const d = deliveries[next++];
        const start = performance.now();
        const res = await pool.request({ path, method: 'POST', headers: { 'content-type': 'application/json', ...d.headers }, body: d.body });
        await res.body.dump();
        latencies.push(performance.now() - start);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, statuses, latencies };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'agentd-hook-bench-'));
  const adminKey = `agd_${randomBytes(20).toString('hex')}`;
  const server = await startServerProcess({ dataDir, adminKey, nodeArgs: ['--conditions=@agentd/source', ...(process.env.AGENTD_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AGENTD_BENCH_CPU_PROF}`] : [])], serverArgs: [] });
  const pool = new Pool(new URL(server.url).origin, { connections: PRODUCERS, pipelining: 1 });
  try {
    await api(pool, adminKey, 'POST', '/v1/agents', { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: AGENT }, spec: { runtime: 'worker', endpoints: { noop: { input: { type: 'object' }, output: {} } } } });
    const trigger = await api(pool, adminKey, 'POST', '/v1/triggers', { target: { agent: AGENT, endpoint: 'noop' }, mapping: { pointer: '/data' }, rate_limit: { count: 1_000_000, period_seconds: 1 } });
    const path = new URL(trigger.url).pathname;
    log(`signing ${N} deliveries`);
    const signer = new StandardWebhook(trigger.secret);
    const at = new Date();
    const deliveries: Signed[] = Array.from({ length: N }, (_, i) => {
      const id = `msg_bench_${i}`;
      const body = JSON.stringify({ type: 'order.created', data: { order: i, customer: `c${i % 97}@example.com`, total: i * 3 } });
      return { body, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signer.sign(id, at, body) } };
    });
    log(`warm-up: 500 deliveries`);
    const warm = deliveries.splice(0, 500);
    await send(pool, path, warm);
    const cpu0 = server.cpuSeconds();
    log(`sending ${deliveries.length} signed deliveries, ${PRODUCERS} in flight`);
    const fresh = await send(pool, path, deliveries);
    const cpu1 = server.cpuSeconds();
    log(`sending them all again (repeats)`);
    const repeats = await send(pool, path, deliveries);
    // Checked against the server's own records: one run per delivery, no more.
    let runs = 0;
    let cursor: string | null = null;
    do {
      const page: { data: unknown[]; next_cursor: string | null } = await api(pool, adminKey, 'GET', `/v1/runs?agent=${AGENT}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      runs += page.data.length;
      cursor = page.next_cursor;
    } while (cursor);
    const verified = fresh.statuses.get(202) === deliveries.length && repeats.statuses.get(200) === deliveries.length && runs === N;
    const line = {
      backend: 'sqlite',
      deliveries: deliveries.length,
      producers: PRODUCERS,
      deliveries_per_sec: perSecond(deliveries.length, fresh.seconds * 1000),
      delivery_p50_ms: ms(percentile(fresh.latencies, 50)),
      delivery_p99_ms: ms(percentile(fresh.latencies, 99)),
      repeats_per_sec: perSecond(deliveries.length, repeats.seconds * 1000),
      repeat_p99_ms: ms(percentile(repeats.latencies, 99)),
      server_cpu_pct: cpu0 === null || cpu1 === null ? null : Math.round(((cpu1 - cpu0) / fresh.seconds) * 100),
      statuses: Object.fromEntries(fresh.statuses),
      repeat_statuses: Object.fromEntries(repeats.statuses),
      runs,
      verified,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    if (!verified) process.exitCode = 1;
  } finally {
    await pool.destroy();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
