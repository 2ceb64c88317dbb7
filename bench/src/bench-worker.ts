import { Agentd, type Fetch } from '@agentd/sdk';
import { Worker, type EndpointHandler, type WorkerLogger } from '@agentd/sdk/worker';
import { log } from './log.ts';

/** The worker's own warnings and errors are worth seeing; its info lines are not. */
const benchLogger: WorkerLogger = {
  debug() {},
  info() {},
  warn: (m, f) => log(`worker warn: ${m}${f ? ` ${JSON.stringify(f)}` : ''}`),
  error: (m, f) => log(`worker error: ${m}${f ? ` ${JSON.stringify(f)}` : ''}`),
};

export interface WorkerTraffic {
  /** Calls that leased: the lease route, and completion calls that carried a lease. */
  leaseCalls: number;
  leasedTasks: number;
  completeCalls: number;
}

/**
 * An SDK `Worker` for one agent, plus an exact count of the runs the server has acknowledged as
 * succeeded: the worker's client goes through a fetch that reads each `POST /v1/worker/complete`
 * answer (the server answers after the commit), so the bench knows the moment the last run of a
 * phase is stored as succeeded without polling the server.
 */
export class BenchWorker {
  readonly worker: Worker;
  readonly traffic: WorkerTraffic = { leaseCalls: 0, leasedTasks: 0, completeCalls: 0 };
  /** Lease ids the server answered `ok: true` for (a set, so a replayed completion counts once). */
  readonly #succeeded = new Set<string>();
  #waiter: { target: number; resolve: (at: number) => void } | null = null;
  #running: Promise<void> | null = null;

  constructor(opts: { baseURL: string; apiKey: string; agent: string; concurrency: number; prefetch: number; handler: EndpointHandler }) {
    const client = new Agentd({ baseURL: opts.baseURL, apiKey: opts.apiKey, fetch: this.#fetch });
    this.worker = new Worker({
      client,
      agent: opts.agent,
      endpoints: { noop: opts.handler },
      concurrency: opts.concurrency,
      prefetch: opts.prefetch,
      handleSignals: false,
      logger: benchLogger,
    });
  }

  get succeeded(): number {
    return this.#succeeded.size;
  }

  start(): void {
    this.#running ??= this.worker.run();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    await this.#running;
  }

  /** Resolves with `performance.now()` at the moment the `target`-th success was acknowledged. */
  whenSucceeded(target: number): Promise<number> {
    if (this.#succeeded.size >= target) return Promise.resolve(performance.now());
    return new Promise((resolve) => {
      this.#waiter = { target, resolve };
    });
  }

  readonly #fetch: Fetch = async (url, init) => {
    const res = await fetch(url, init);
    if (url.endsWith('/v1/worker/lease')) {
      this.traffic.leaseCalls++;
      if (!res.ok) return res;
      const text = await res.text();
      this.traffic.leasedTasks += (JSON.parse(text) as { tasks: unknown[] }).tasks.length;
      return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
    }
    if (!url.endsWith('/v1/worker/complete')) return res;
    this.traffic.completeCalls++;
    if (!res.ok) return res;
    const text = await res.text();
    const answer = JSON.parse(text) as { results: { lease_id: string; ok: boolean }[]; tasks?: unknown[] };
    for (const r of answer.results) {
      if (r.ok) this.#succeeded.add(r.lease_id);
    }
    // A completion call with a lease riding on it leases too.
    if (answer.tasks) {
      this.traffic.leaseCalls++;
      this.traffic.leasedTasks += answer.tasks.length;
    }
    const w = this.#waiter;
    if (w && this.#succeeded.size >= w.target) {
      this.#waiter = null;
      w.resolve(performance.now());
    }
    return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
