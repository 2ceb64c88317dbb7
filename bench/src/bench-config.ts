/** What `npm run bench` can be told, all from the environment (see bench/README.md). */
/** `sqlite-thread`: SQLite with its writes on a thread of their own (`--sqlite-writer thread`). */
export type Backend = 'sqlite' | 'sqlite-thread' | 'postgres';
export type Phase = 'e2e' | 'batch' | 'dispatch' | 'schedules' | 'call' | 'workflow';

export interface BenchConfig {
  /** Runs per throughput phase. AGENTD_BENCH_RUNS, default 10000. */
  runs: number;
  /** Each throughput phase runs this many times, alternating; figures are medians. AGENTD_BENCH_REPEAT, default 3. */
  repeat: number;
  /** Backends in order. AGENTD_BENCH_BACKENDS, default `sqlite,sqlite-thread,postgres`. */
  backends: Backend[];
  /** Phases to run. AGENTD_BENCH_PHASES, default `e2e,batch,dispatch,schedules,call,workflow`. */
  phases: Phase[];
  /** Create requests in flight in the e2e phase. AGENTD_BENCH_PRODUCERS, default 64. */
  producers: number;
  /** Runs per `POST /v1/runs/batch`. AGENTD_BENCH_BATCH_SIZE, default 500. */
  batchSize: number;
  /** Batch requests in flight. AGENTD_BENCH_BATCH_PRODUCERS, default 4. */
  batchProducers: number;
  /** SDK Worker concurrency. AGENTD_BENCH_WORKER_CONCURRENCY, default 50. */
  workerConcurrency: number;
  /** SDK Worker prefetch (tasks held beyond concurrency). AGENTD_BENCH_WORKER_PREFETCH, default 50. */
  workerPrefetch: number;
  /** Dispatch-latency samples. AGENTD_BENCH_DISPATCH_SAMPLES, default 200. */
  dispatchSamples: number;
  /** Schedules due in the same second in the scheduler-lag phase. AGENTD_BENCH_SCHEDULES, default 1000. */
  schedules: number;
  /** ctx.call round-trip samples (sequential parents). AGENTD_BENCH_CALL_SAMPLES, default 200. */
  callSamples: number;
  /** Workflows run one after another in the workflow phase. AGENTD_BENCH_WORKFLOWS, default 20. */
  workflows: number;
  /** No-op steps in the chain of each. AGENTD_BENCH_WORKFLOW_STEPS, default 20. */
  workflowSteps: number;
  /** Runs pushed through the e2e path, unmeasured, before measuring (JIT warm-up). AGENTD_BENCH_WARMUP_RUNS, default 500. */
  warmupRuns: number;
  /** PostgreSQL server to create the bench database on. AGENTD_BENCH_DATABASE_URL. */
  databaseUrl: string;
  /** Extra flags for the server's `node` (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). AGENTD_BENCH_NODE_ARGS. */
  nodeArgs: string[];
  /** Extra flags for `agentd serve` (e.g. `--sqlite-synchronous NORMAL`). AGENTD_BENCH_SERVER_ARGS. */
  serverArgs: string[];
  /** A phase that makes no progress for this long fails the bench. AGENTD_BENCH_STALL_TIMEOUT_MS, default 60000. */
  stallTimeoutMs: number;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min} (got ${JSON.stringify(raw)})`);
  return n;
}

function list<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T[]): T[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`${name}: unknown ${JSON.stringify(item)}; one of ${allowed.join(', ')}`);
  }
  return items as T[];
}

const words = (raw: string | undefined): string[] => (raw ?? '').split(/\s+/).filter(Boolean);

export function readBenchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const batchSize = positiveInt(env, 'AGENTD_BENCH_BATCH_SIZE', 500);
  if (batchSize > 1000) throw new Error('AGENTD_BENCH_BATCH_SIZE must be ≤ 1000 (the batch route takes at most 1000 runs)');
  return {
    runs: positiveInt(env, 'AGENTD_BENCH_RUNS', 10_000),
    repeat: positiveInt(env, 'AGENTD_BENCH_REPEAT', 3),
    backends: list(env, 'AGENTD_BENCH_BACKENDS', ['sqlite', 'sqlite-thread', 'postgres'] as const, ['sqlite', 'sqlite-thread', 'postgres']),
    phases: list(env, 'AGENTD_BENCH_PHASES', ['e2e', 'batch', 'dispatch', 'schedules', 'call', 'workflow'] as const, ['e2e', 'batch', 'dispatch', 'schedules', 'call', 'workflow']),
    callSamples: positiveInt(env, 'AGENTD_BENCH_CALL_SAMPLES', 200),
    workflows: positiveInt(env, 'AGENTD_BENCH_WORKFLOWS', 20),
    workflowSteps: positiveInt(env, 'AGENTD_BENCH_WORKFLOW_STEPS', 20, 2),
    producers: positiveInt(env, 'AGENTD_BENCH_PRODUCERS', 64),
    batchSize,
    batchProducers: positiveInt(env, 'AGENTD_BENCH_BATCH_PRODUCERS', 4),
    workerConcurrency: positiveInt(env, 'AGENTD_BENCH_WORKER_CONCURRENCY', 50),
    workerPrefetch: positiveInt(env, 'AGENTD_BENCH_WORKER_PREFETCH', 50, 0),
    dispatchSamples: positiveInt(env, 'AGENTD_BENCH_DISPATCH_SAMPLES', 200),
    schedules: positiveInt(env, 'AGENTD_BENCH_SCHEDULES', 1000),
    warmupRuns: positiveInt(env, 'AGENTD_BENCH_WARMUP_RUNS', 500, 0),
    databaseUrl: env.AGENTD_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
    nodeArgs: words(env.AGENTD_BENCH_NODE_ARGS),
    serverArgs: words(env.AGENTD_BENCH_SERVER_ARGS),
    stallTimeoutMs: positiveInt(env, 'AGENTD_BENCH_STALL_TIMEOUT_MS', 60_000),
  };
}
