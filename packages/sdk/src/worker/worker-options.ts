import { hostname } from 'node:os';
import type { Agentd } from '../agentd-client.ts';
import type { TaskContext } from './task-context.ts';
import { createConsoleLogger, type WorkerLogger } from './worker-logger.ts';

/**
 * Handles one run of an endpoint: its return value is the run's output; a throw fails the
 * attempt (see `ensureRunFailure`). Input is `any` by default so a handler may annotate it
 * (`async (input: { name: string }) => …`); the server validated it against the endpoint schema.
 */
export type EndpointHandler<I = any, O = unknown> = (input: I, ctx: TaskContext<I>) => O | Promise<O>;

export interface WorkerOptions {
  client: Agentd;
  /** The agent whose runs to take. */
  agent: string;
  /** One handler per endpoint name; only these endpoints are leased. */
  endpoints: Record<string, EndpointHandler>;
  /** Handlers running at once. Default: 10. */
  concurrency?: number;
  /**
   * Tasks to lease beyond `concurrency`, held (their leases kept alive by heartbeats) until a
   * handler slot frees: with many short tasks the worker then refills in larger, fewer calls.
   * Leased tasks are not available to other workers while held, so keep it 0 (the default)
   * when tasks are long or the work should spread evenly over many workers. 0–100.
   */
  prefetch?: number;
  /** Lease TTL, 1000–600000 ms. Default: the server's (30000). */
  leaseTtlMs?: number;
  /** Long-poll time per lease request, 0–30000 ms. Default: 20000. */
  pollWaitMs?: number;
  /** How long stop() lets running handlers finish before aborting and releasing them. Default: 10000. */
  shutdownGraceMs?: number;
  /** Stop gracefully on SIGTERM/SIGINT (a second signal ends the grace). Default: true. */
  handleSignals?: boolean;
  /** Shown in `run.started` and attempts. Default: `<hostname>-<pid>-<random>`. */
  workerId?: string;
  /** Default: console, debug only with `AGENTD_DEBUG`. */
  logger?: WorkerLogger;
}

export interface ResolvedWorkerOptions extends Required<Omit<WorkerOptions, 'leaseTtlMs'>> {
  leaseTtlMs: number | undefined;
}

export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  const names = Object.keys(options.endpoints ?? {});
  if (names.length === 0) throw new TypeError('Worker needs at least one endpoint handler.');
  for (const name of names) {
    if (typeof options.endpoints[name] !== 'function') throw new TypeError(`The handler for endpoint "${name}" is not a function.`);
  }
  const resolved: ResolvedWorkerOptions = {
    client: options.client,
    agent: options.agent,
    endpoints: options.endpoints,
    concurrency: options.concurrency ?? 10,
    prefetch: options.prefetch ?? 0,
    leaseTtlMs: options.leaseTtlMs,
    pollWaitMs: options.pollWaitMs ?? 20_000,
    shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
    handleSignals: options.handleSignals ?? true,
    workerId: options.workerId ?? `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
    logger: options.logger ?? createConsoleLogger(),
  };
  // Checked here, not by the server, because a refused lease request would be retried forever.
  if (!resolved.client) throw new TypeError('Worker needs a client.');
  if (!resolved.agent) throw new TypeError('Worker needs an agent name.');
  check(Number.isInteger(resolved.concurrency) && resolved.concurrency >= 1, 'concurrency must be an integer ≥ 1');
  check(inRange(resolved.prefetch, 0, 100), 'prefetch must be an integer 0–100');
  check(inRange(resolved.pollWaitMs, 0, 30_000), 'pollWaitMs must be 0–30000');
  check(resolved.leaseTtlMs === undefined || inRange(resolved.leaseTtlMs, 1000, 600_000), 'leaseTtlMs must be 1000–600000');
  check(resolved.shutdownGraceMs >= 0, 'shutdownGraceMs must be ≥ 0');
  return resolved;
}

function inRange(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(message);
}
