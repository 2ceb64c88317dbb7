import type { Agentd } from '@agentd/sdk';
import { BenchWorker, type WorkerTraffic } from './bench-worker.ts';
import type { BenchHttp } from './http-client.ts';
import { log } from './log.ts';
import { ms, percentile, perSecond, sleep } from './stats.ts';
import { cpuBetween, type DbCpu } from './db-cpu.ts';

/** Everything a phase needs to reach the server. */
export interface Target {
  baseURL: string;
  apiKey: string;
  /** An SDK client with the admin key (deploys, verification). */
  client: Agentd;
  /** The producers' keep-alive HTTP client. */
  http: BenchHttp;
  workerConcurrency: number;
  workerPrefetch: number;
  stallTimeoutMs: number;
  /** The server process's CPU seconds so far (null where /proc is missing). */
  serverCpuSeconds: () => number | null;
  /** The server's main thread's CPU seconds so far. */
  serverMainCpuSeconds: () => number | null;
  /** The database's processes' CPU (see db-cpu.ts). */
  dbCpu: DbCpu;
}

/**
 * CPU use of the server, of the database (PostgreSQL's backends; null on SQLite, which runs in
 * the server) and of this (client) process over a timed window: % of one core and seconds.
 */
export interface CpuShare {
  serverPct: number | null;
  clientPct: number;
  serverSeconds: number | null;
  serverMainSeconds: number | null;
  dbSeconds: number | null;
  clientSeconds: number;
}

async function cpuMeter(target: Target): Promise<() => Promise<CpuShare>> {
  const d0 = await target.dbCpu.sample();
  const t0 = performance.now();
  const s0 = target.serverCpuSeconds();
  const m0 = target.serverMainCpuSeconds();
  const c0 = process.cpuUsage();
  return async () => {
    const wallS = (performance.now() - t0) / 1000;
    const s1 = target.serverCpuSeconds();
    const m1 = target.serverMainCpuSeconds();
    const c = process.cpuUsage(c0);
    const d1 = await target.dbCpu.sample();
    const serverSeconds = s0 === null || s1 === null ? null : s1 - s0;
    const clientSeconds = (c.user + c.system) / 1e6;
    return {
      serverPct: serverSeconds === null ? null : Math.round((100 * serverSeconds) / wallS),
      clientPct: Math.round((100 * clientSeconds) / wallS),
      serverSeconds,
      serverMainSeconds: m0 === null || m1 === null ? null : m1 - m0,
      dbSeconds: d0 === null || d1 === null ? null : cpuBetween(d0, d1),
      clientSeconds,
    };
  };
}

/** CPU µs per run of a phase: the server's, the database's and the bench client's. */
export interface CpuPerRun {
  server: number | null;
  /** The server's main thread alone. */
  serverMain: number | null;
  db: number | null;
  bench: number;
}

export function cpuPerRun(cpu: CpuShare, runs: number): CpuPerRun {
  const us = (seconds: number) => Math.round((seconds * 1e6) / runs);
  return { server: cpu.serverSeconds === null ? null : us(cpu.serverSeconds), serverMain: cpu.serverMainSeconds === null ? null : us(cpu.serverMainSeconds), db: cpu.dbSeconds === null ? null : us(cpu.dbSeconds), bench: us(cpu.clientSeconds) };
}

export const ENDPOINT = 'noop';

/** The no-op agent: one endpoint whose input and output schemas accept anything. */
export function noopManifest(name: string): Record<string, unknown> {
  return {
    apiVersion: 'agentd.dev/v1',
    kind: 'Agent',
    metadata: { name, description: 'agentd bench: a no-op endpoint' },
    spec: { runtime: 'worker', endpoints: { [ENDPOINT]: { description: 'Returns {} at once.', input: {}, output: {} } } },
  };
}

export interface ThroughputResult {
  runs: number;
  elapsedMs: number;
  /** From the first create request until the last create answered. */
  createElapsedMs: number;
  runsPerSec: number;
  /** Per create request (one run, or one batch), ms. */
  createP50Ms: number;
  createP99Ms: number;
  traffic: WorkerTraffic;
  cpu: CpuShare;
}

async function createRequest(target: Target, path: string, body: string): Promise<string> {
  const { status, text } = await target.http.post(path, body);
  if (status !== 201) throw new Error(`POST ${path} answered ${status}: ${text.slice(0, 500)}`);
  return text;
}

/**
 * Waits for `done`, failing when the worker's success count stops moving for `stallTimeoutMs`
 * (a bench that hangs forever tells nobody anything).
 */
async function withStallGuard<T>(target: Target, worker: BenchWorker, what: string, done: Promise<T>): Promise<T> {
  let last = -1;
  let lastMove = performance.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (worker.succeeded !== last) {
        last = worker.succeeded;
        lastMove = performance.now();
      } else if (performance.now() - lastMove > target.stallTimeoutMs) {
        reject(new Error(`${what}: no run completed for ${target.stallTimeoutMs} ms (${worker.succeeded} succeeded so far)`));
      }
    }, 250);
  });
  try {
    return await Promise.race([done, stalled]);
  } finally {
    clearInterval(timer);
  }
}

/**
 * Checks the server's own record: every run created in the phase is listed as succeeded, and
 * the agent has no run in any other state.
 */
export async function verifyAllSucceeded(client: Agentd, agent: string, created: ReadonlySet<string>): Promise<void> {
  const seen = new Set<string>();
  for await (const run of client.runs.list({ agent, status: 'succeeded', limit: 500 })) {
    if (!created.has(run.id)) throw new Error(`verification: run ${run.id} of ${agent} succeeded but was not created by this phase`);
    seen.add(run.id);
  }
  if (seen.size !== created.size) throw new Error(`verification: ${seen.size} of the ${created.size} runs of ${agent} are succeeded`);
  const others = await client.runs.list({ agent, status: ['queued', 'running', 'waiting', 'failed', 'cancelled', 'timed_out'], limit: 5 });
  if (others.data.length > 0) {
    throw new Error(`verification: ${agent} has runs that did not succeed, e.g. ${others.data.map((r) => `${r.id}=${r.status}`).join(', ')}`);
  }
}

/**
 * N runs created one request each by `producers` concurrent loops (one keep-alive connection
 * each), leased and completed by an SDK Worker. The clock runs from the first
 * create request to the server's acknowledgement of the last completion.
 */
export async function oneByOnePhase(target: Target, agent: string, runs: number, producers: number): Promise<ThroughputResult> {
  const body = JSON.stringify({ agent, endpoint: ENDPOINT, input: {} });
  return throughputPhase(target, agent, runs, async (created, latencies) => {
    let issued = 0;
    const producer = async () => {
      while (issued < runs) {
        issued++;
        const t = performance.now();
        const text = await createRequest(target, '/v1/runs', body);
        latencies.push(performance.now() - t);
        created.add((JSON.parse(text) as { id: string }).id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(producers, runs) }, producer));
  });
}

/**
 * What both throughput phases share: a worker for `agent`, the clock from the first create to
 * the last acknowledged completion, CPU over that span, and the check against the server's
 * records. `produce` creates the runs, recording their ids and each request's round trip.
 */
async function throughputPhase(
  target: Target,
  agent: string,
  runs: number,
  produce: (created: Set<string>, latencies: number[]) => Promise<void>,
): Promise<ThroughputResult> {
  const worker = new BenchWorker({ baseURL: target.baseURL, apiKey: target.apiKey, agent, concurrency: target.workerConcurrency, prefetch: target.workerPrefetch, handler: () => ({}) });
  worker.start();
  const allDone = worker.whenSucceeded(runs);
  const created = new Set<string>();
  const latencies: number[] = [];
  try {
    const meter = await cpuMeter(target);
    const start = performance.now();
    await produce(created, latencies);
    const createElapsedMs = performance.now() - start;
    const end = await withStallGuard(target, worker, `${agent}`, allDone);
    const elapsedMs = end - start;
    const cpu = await meter();
    await worker.stop();
    await verifyAllSucceeded(target.client, agent, created);
    return { runs, elapsedMs, createElapsedMs, runsPerSec: perSecond(runs, elapsedMs), createP50Ms: ms(percentile(latencies, 50)), createP99Ms: ms(percentile(latencies, 99)), traffic: worker.traffic, cpu };
  } finally {
    await worker.stop();
  }
}

/** The same through `POST /v1/runs/batch`, `batchSize` runs a request, `producers` requests in flight. */
export async function batchPhase(target: Target, agent: string, runs: number, batchSize: number, producers: number): Promise<ThroughputResult> {
  const item = { agent, endpoint: ENDPOINT, input: {} };
  const fullBody = JSON.stringify({ runs: Array.from({ length: batchSize }, () => item) });
  return throughputPhase(target, agent, runs, async (created, latencies) => {
    let issued = 0;
    const producer = async () => {
      while (issued < runs) {
        const size = Math.min(batchSize, runs - issued);
        issued += size;
        const body = size === batchSize ? fullBody : JSON.stringify({ runs: Array.from({ length: size }, () => item) });
        const t = performance.now();
        const text = await createRequest(target, '/v1/runs/batch', body);
        latencies.push(performance.now() - t);
        for (const run of (JSON.parse(text) as { data: { id: string }[] }).data) created.add(run.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(producers, Math.ceil(runs / batchSize)) }, producer));
  });
}

export interface DispatchResult {
  samples: number;
  /** The create request's own round trip in the same samples (idle server), p50. */
  createP50Ms: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

const DISPATCH_WARMUP = 20;
/** Gap after a run's completion is acknowledged, so the worker's next long-poll is parked again. */
const IDLE_GAP_MS = 10;

/**
 * Dispatch latency: the worker is idle in its long-poll; one run is created; the time from just
 * before the create request is sent until its handler starts (both clocks in this process).
 * Sequential: each sample waits for the previous run to be acknowledged as succeeded.
 */
export async function dispatchPhase(target: Target, agent: string, samples: number): Promise<DispatchResult> {
  const started = new Map<number, (at: number) => void>();
  const worker = new BenchWorker({
    baseURL: target.baseURL,
    apiKey: target.apiKey,
    agent,
    concurrency: target.workerConcurrency,
    prefetch: target.workerPrefetch,
    handler: (input: { i: number }) => {
      const at = performance.now();
      started.get(input.i)?.(at);
      return {};
    },
  });
  worker.start();
  const created = new Set<string>();
  const latencies: number[] = [];
  const creates: number[] = [];
  try {
    await sleep(100); // the first long-poll reaches the server
    for (let i = 0; i < DISPATCH_WARMUP + samples; i++) {
      const handlerStarted = new Promise<number>((resolve) => started.set(i, resolve));
      const t0 = performance.now();
      const text = await createRequest(target, '/v1/runs', JSON.stringify({ agent, endpoint: ENDPOINT, input: { i } }));
      if (i >= DISPATCH_WARMUP) creates.push(performance.now() - t0);
      created.add((JSON.parse(text) as { id: string }).id);
      const at = await withStallGuard(target, worker, `${agent} sample ${i}`, handlerStarted);
      started.delete(i);
      if (i >= DISPATCH_WARMUP) latencies.push(at - t0);
      await withStallGuard(target, worker, `${agent} sample ${i}`, worker.whenSucceeded(i + 1));
      await sleep(IDLE_GAP_MS);
    }
    await worker.stop();
    await verifyAllSucceeded(target.client, agent, created);
    return { samples, createP50Ms: ms(percentile(creates, 50)), p50Ms: ms(percentile(latencies, 50)), p95Ms: ms(percentile(latencies, 95)), p99Ms: ms(percentile(latencies, 99)), maxMs: ms(Math.max(...latencies)) };
  } finally {
    await worker.stop();
  }
}

export function describeThroughput(label: string, r: ThroughputResult): void {
  const perRun = cpuPerRun(r.cpu, r.runs);
  const perLease = r.traffic.leaseCalls ? (r.traffic.leasedTasks / r.traffic.leaseCalls).toFixed(1) : '0';
  log(
    `${label}: ${r.runs} runs in ${(r.elapsedMs / 1000).toFixed(2)} s = ${r.runsPerSec} runs/s; all created after ${(r.createElapsedMs / 1000).toFixed(2)} s ` +
      `(create p50 ${r.createP50Ms} ms, p99 ${r.createP99Ms} ms; ${r.traffic.leaseCalls} lease calls, ${perLease} tasks/lease, ${r.traffic.completeCalls} complete calls; ` +
      `CPU: server ${r.cpu.serverPct ?? '?'}%, bench ${r.cpu.clientPct}% of one core; per run: server ${perRun.server ?? '?'} µs (main thread ${perRun.serverMain ?? '?'}), database ${perRun.db ?? '-'} µs, bench ${perRun.bench} µs)`,
  );
}
