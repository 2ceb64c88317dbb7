import { BenchWorker } from './bench-worker.ts';
import { ENDPOINT, verifyAllSucceeded, type Target } from './phases.ts';
import { ms, percentile, sleep } from './stats.ts';

export interface CallResult {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const CALL_WARMUP = 20;

/**
 * `ctx.call` round trip: a parent's handler calls a no-op child agent and awaits it; the time
 * from just before `ctx.call` until it resolves with the child's output (the child is made,
 * handed to the child's parked worker, completed, the parent resumed, and the long-poll on the
 * call answered). Sequential: one parent at a time, each acknowledged before the next.
 */
export async function callPhase(target: Target, agents: { parent: string; child: string }, samples: number): Promise<CallResult> {
  const rounds: number[] = [];
  const opts = { baseURL: target.baseURL, apiKey: target.apiKey, concurrency: target.workerConcurrency, prefetch: target.workerPrefetch };
  const child = new BenchWorker({ ...opts, agent: agents.child, handler: () => ({}) });
  const parent = new BenchWorker({
    ...opts,
    agent: agents.parent,
    handler: async (_input, ctx) => {
      const t0 = performance.now();
      await ctx.call(agents.child, ENDPOINT, {});
      rounds.push(performance.now() - t0);
      return {};
    },
  });
  child.start();
  parent.start();
  const created = new Set<string>();
  try {
    await sleep(100); // both first long-polls reach the server
    for (let i = 0; i < CALL_WARMUP + samples; i++) {
      const { status, text } = await target.http.post('/v1/runs', JSON.stringify({ agent: agents.parent, endpoint: ENDPOINT, input: { i } }));
      if (status !== 201) throw new Error(`POST /v1/runs answered ${status}: ${text.slice(0, 500)}`);
      created.add((JSON.parse(text) as { id: string }).id);
      await withTimeout(parent.whenSucceeded(i + 1), target.stallTimeoutMs, `parent ${i} of the call phase`);
    }
    await parent.stop();
    await child.stop();
    await verifyAllSucceeded(target.client, agents.parent, created);
    const measured = rounds.slice(CALL_WARMUP);
    return { samples: measured.length, p50Ms: ms(percentile(measured, 50)), p99Ms: ms(percentile(measured, 99)), maxMs: ms(Math.max(...measured)) };
  } finally {
    await parent.stop();
    await child.stop();
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no progress for ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
