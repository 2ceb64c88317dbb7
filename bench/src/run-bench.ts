/**
 * `npm run bench`: one JSON line per backend (sqlite, then postgres) on stdout, progress on
 * stderr. See bench/README.md for what each figure means and the environment knobs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agentd } from '@agentd/sdk';
import { readBenchConfig, type Backend, type BenchConfig } from './bench-config.ts';
import { log } from './log.ts';
import { BenchHttp } from './http-client.ts';
import { BENCH_DATABASE, createBenchDatabase, postgresUnreachable, type BenchDatabase } from './postgres-db.ts';
import { batchPhase, cpuPerRun, describeThroughput, dispatchPhase, noopManifest, oneByOnePhase, type CpuPerRun, type Target } from './phases.ts';
import { noDbCpu, postgresCpu } from './db-cpu.ts';
import { schedulePhase } from './schedule-phase.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { callPhase } from './call-phase.ts';
import { workflowPhase } from './workflow-phase.ts';

/** Resources to give back however the bench ends (normal end, error, Ctrl-C). */
const cleanups: (() => Promise<void> | void)[] = [];
/** Cleanup runs are chained: a second caller (a signal during the first) waits for the first. */
let cleaning: Promise<void> = Promise.resolve();
/** Set by SIGINT/SIGTERM: nothing more is measured or printed. */
let interrupted = false;

function runCleanups(): Promise<void> {
  cleaning = cleaning.then(async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`cleanup failed: ${(err as Error).message}`);
      }
    }
  });
  return cleaning;
}

function printLine(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function benchBackend(backend: Backend, config: BenchConfig): Promise<Record<string, unknown>> {
  // Other work on the machine moves every figure; the load before we start says how much.
  const loadBefore = round1(loadavg()[0]);
  const dataDir = mkdtempSync(join(tmpdir(), `agentd-bench-${backend}-`));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  let db: BenchDatabase | undefined;
  let server: ServerProcess | undefined;
  try {
    if (backend === 'postgres') {
      db = await createBenchDatabase(config.databaseUrl);
      cleanups.push(db.drop);
    }
    const adminKey = `agd_bench${randomBytes(24).toString('hex')}`;
    server = await startServerProcess({ dataDir, adminKey, databaseUrl: db?.url, nodeArgs: config.nodeArgs, serverArgs: [...(backend === 'sqlite-thread' ? ['--sqlite-writer', 'thread'] : []), ...config.serverArgs] });
    cleanups.push(server.stop);
    log(`${backend}: server pid ${server.pid} at ${server.url}${config.nodeArgs.length ? ` (node ${config.nodeArgs.join(' ')})` : ''}`);

    const dbCpu = db ? await postgresCpu(config.databaseUrl, BENCH_DATABASE) : noDbCpu;
    cleanups.push(() => dbCpu.close());
    const client = new Agentd({ baseURL: server.url, apiKey: adminKey, maxRetries: 0 });
    const http = new BenchHttp(server.url, adminKey, Math.max(config.producers, config.batchProducers));
    cleanups.push(() => http.close());
    const target: Target = { baseURL: server.url, apiKey: adminKey, client, http, workerConcurrency: config.workerConcurrency, workerPrefetch: config.workerPrefetch, stallTimeoutMs: config.stallTimeoutMs, serverCpuSeconds: server.cpuSeconds, serverMainCpuSeconds: server.mainThreadCpuSeconds, dbCpu };
    const agents = ['bench-warmup', 'bench-warmup-batch', 'bench-dispatch', 'bench-schedules', 'bench-call-parent', 'bench-call-child', 'bench-step'];
    for (let round = 1; round <= config.repeat; round++) agents.push(`bench-e2e-${round}`, `bench-batch-${round}`);
    for (const name of agents) await client.agents.deploy(noopManifest(name));

    if (config.warmupRuns > 0) {
      log(`${backend}: warm-up, ${config.warmupRuns} runs one by one and ${config.warmupRuns} by batch`);
      await oneByOnePhase(target, 'bench-warmup', config.warmupRuns, config.producers);
      await batchPhase(target, 'bench-warmup-batch', config.warmupRuns, config.batchSize, config.batchProducers);
    }

    const result: Record<string, unknown> = {
      backend,
      runs: config.runs,
      repeat: config.repeat,
      runs_per_sec: null,
      batch_runs_per_sec: null,
      dispatch_p50_ms: null,
      dispatch_p95_ms: null,
      dispatch_p99_ms: null,
      schedule_lag_p50_ms: null,
      schedule_lag_p99_ms: null,
      call_p50_ms: null,
      workflow_step_p50_ms: null,
      workflow_step_p99_ms: null,
      server_rss_mb: null,
      server_cpu_us_per_run: null,
      db_cpu_us_per_run: null,
    };
    // Throughput phases alternate (e2e, batch, e2e, batch, …), each repetition on agents of its
    // own, so drift on the machine hits both alike; the figures are the medians.
    const e2eRounds: Record<string, unknown>[] = [];
    const batchRounds: Record<string, unknown>[] = [];
    for (let round = 1; round <= config.repeat; round++) {
      if (config.phases.includes('e2e')) {
        log(`${backend}: end to end (${round}/${config.repeat}), ${config.runs} runs one request each, ${config.producers} in flight, worker concurrency ${config.workerConcurrency}, prefetch ${config.workerPrefetch}`);
        const r = await oneByOnePhase(target, `bench-e2e-${round}`, config.runs, config.producers);
        describeThroughput(`${backend} e2e`, r);
        e2eRounds.push({ runs_per_sec: r.runsPerSec, e2e_seconds: Math.round(r.elapsedMs) / 1000, e2e_created_seconds: Math.round(r.createElapsedMs) / 1000, create_p50_ms: r.createP50Ms, create_p99_ms: r.createP99Ms, e2e_tasks_per_lease: round1(r.traffic.leasedTasks / r.traffic.leaseCalls), e2e_server_cpu_pct: r.cpu.serverPct, e2e_bench_cpu_pct: r.cpu.clientPct, ...perRunFields('e2e_', cpuPerRun(r.cpu, r.runs)) });
      }
      if (config.phases.includes('batch')) {
        log(`${backend}: batch route (${round}/${config.repeat}), ${config.runs} runs in batches of ${config.batchSize}, ${config.batchProducers} in flight`);
        const r = await batchPhase(target, `bench-batch-${round}`, config.runs, config.batchSize, config.batchProducers);
        describeThroughput(`${backend} batch`, r);
        batchRounds.push({ batch_runs_per_sec: r.runsPerSec, batch_seconds: Math.round(r.elapsedMs) / 1000, batch_created_seconds: Math.round(r.createElapsedMs) / 1000, batch_create_p50_ms: r.createP50Ms, batch_tasks_per_lease: round1(r.traffic.leasedTasks / r.traffic.leaseCalls), batch_server_cpu_pct: r.cpu.serverPct, batch_bench_cpu_pct: r.cpu.clientPct, ...perRunFields('batch_', cpuPerRun(r.cpu, r.runs)) });
      }
    }
    if (e2eRounds.length > 0) Object.assign(result, medianRound(e2eRounds, 'runs_per_sec'), { runs_per_sec_each: e2eRounds.map((r) => r.runs_per_sec) });
    // The headline CPU figures are the one-request-per-run phase's (the batch phase's have the
    // prefix batch_), from the same median repetition as runs_per_sec.
    if (e2eRounds.length > 0) Object.assign(result, { server_cpu_us_per_run: result.e2e_server_cpu_us_per_run, db_cpu_us_per_run: result.e2e_db_cpu_us_per_run });
    if (batchRounds.length > 0) Object.assign(result, medianRound(batchRounds, 'batch_runs_per_sec'), { batch_runs_per_sec_each: batchRounds.map((r) => r.batch_runs_per_sec) });
    if (config.phases.includes('dispatch')) {
      log(`${backend}: dispatch latency, ${config.dispatchSamples} sequential samples`);
      const d = await dispatchPhase(target, 'bench-dispatch', config.dispatchSamples);
      log(`${backend} dispatch: p50 ${d.p50Ms} ms, p95 ${d.p95Ms} ms, p99 ${d.p99Ms} ms, max ${d.maxMs} ms (the create request alone: p50 ${d.createP50Ms} ms)`);
      Object.assign(result, { dispatch_p50_ms: d.p50Ms, dispatch_p95_ms: d.p95Ms, dispatch_p99_ms: d.p99Ms, dispatch_max_ms: d.maxMs, dispatch_create_p50_ms: d.createP50Ms, dispatch_samples: d.samples });
    }
    if (config.phases.includes('schedules')) {
      log(`${backend}: scheduler lag, ${config.schedules} schedules due in the same second`);
      const s = await schedulePhase(target, 'bench-schedules', config.schedules);
      log(`${backend} schedules: slot → run.queued received p50 ${s.lagP50Ms} ms, p99 ${s.lagP99Ms} ms, max ${s.lagMaxMs} ms; slot → created_at p50 ${s.createdAtP50Ms} ms, p99 ${s.createdAtP99Ms} ms (setup ${s.setupSeconds} s)`);
      Object.assign(result, { schedule_lag_p50_ms: s.lagP50Ms, schedule_lag_p99_ms: s.lagP99Ms, schedule_lag_max_ms: s.lagMaxMs, schedule_created_at_p50_ms: s.createdAtP50Ms, schedule_created_at_p99_ms: s.createdAtP99Ms, schedules: s.schedules });
    }
    if (config.phases.includes('call')) {
      log(`${backend}: ctx.call round trip, ${config.callSamples} sequential parents each calling a no-op child`);
      const c = await callPhase(target, { parent: 'bench-call-parent', child: 'bench-call-child' }, config.callSamples);
      log(`${backend} ctx.call: p50 ${c.p50Ms} ms, p99 ${c.p99Ms} ms, max ${c.maxMs} ms`);
      Object.assign(result, { call_p50_ms: c.p50Ms, call_p99_ms: c.p99Ms, call_max_ms: c.maxMs, call_samples: c.samples });
    }
    if (config.phases.includes('workflow')) {
      log(`${backend}: workflow step-to-step latency, ${config.workflows} sequential workflows of ${config.workflowSteps} no-op steps`);
      const w = await workflowPhase(target, { workflow: 'bench-chain', agent: 'bench-step' }, config.workflows, config.workflowSteps);
      log(`${backend} workflow steps: p50 ${w.p50Ms} ms, p99 ${w.p99Ms} ms, max ${w.maxMs} ms (${w.samples} step-to-step samples)`);
      Object.assign(result, { workflow_step_p50_ms: w.p50Ms, workflow_step_p99_ms: w.p99Ms, workflow_step_max_ms: w.maxMs, workflow_step_samples: w.samples, workflows: w.workflows, workflow_steps: w.steps });
    }
    const mem = server.memory();
    Object.assign(result, {
      server_rss_mb: mem?.rssMb ?? null,
      server_peak_rss_mb: mem?.peakRssMb ?? null,
      verified: true,
      producers: config.producers,
      batch_size: config.batchSize,
      worker_concurrency: config.workerConcurrency,
      worker_prefetch: config.workerPrefetch,
      node: process.version,
      cpus: availableParallelism(),
      cpu_model: cpus()[0]?.model ?? null,
      loadavg_1m_before: loadBefore,
      loadavg_1m_after: round1(loadavg()[0]),
    });
    if (config.serverArgs.length) result.server_args = config.serverArgs.join(' ');
    if (config.nodeArgs.length) result.node_args = config.nodeArgs.join(' ');
    return result;
  } finally {
    // Registered in order dir, database, server, client; undone in reverse, so the server lets
    // go of the database before it is dropped and of the directory before it is removed.
    await runCleanups();
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

function perRunFields(prefix: string, cpu: CpuPerRun): Record<string, number | null> {
  return { [`${prefix}server_cpu_us_per_run`]: cpu.server, [`${prefix}server_main_thread_cpu_us_per_run`]: cpu.serverMain, [`${prefix}db_cpu_us_per_run`]: cpu.db, [`${prefix}bench_cpu_us_per_run`]: cpu.bench };
}

/** The repetition whose `key` is the median (the lower middle one for an even count), whole. */
function medianRound(rounds: Record<string, unknown>[], key: string): Record<string, unknown> {
  const sorted = [...rounds].sort((a, b) => (a[key] as number) - (b[key] as number));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function main(): Promise<number> {
  const config = readBenchConfig();
  let failed = false;
  for (const backend of config.backends) {
    if (interrupted) break;
    if (backend === 'postgres') {
      const why = await postgresUnreachable(config.databaseUrl);
      if (why) {
        log(`postgres: skipped: ${why}`);
        printLine({ backend, skipped: `PostgreSQL is not reachable at ${config.databaseUrl}: ${why}` });
        continue;
      }
    }
    try {
      const line = await benchBackend(backend, config);
      if (!interrupted) printLine(line);
    } catch (err) {
      if (interrupted) break;
      failed = true;
      log(`${backend}: FAILED: ${(err as Error).stack ?? err}`);
      printLine({ backend, error: (err as Error).message });
    }
  }
  return failed ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping the server, removing the temporary directory and database`);
    void runCleanups().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await runCleanups();
    process.exit(interrupted ? 130 : code);
  },
  async (err: unknown) => {
    log(`bench failed: ${(err as Error).stack ?? err}`);
    await runCleanups();
    process.exit(1);
  },
);
