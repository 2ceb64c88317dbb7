import type { RunEvent } from '@agentd/sdk';
import { log } from './log.ts';
import { ENDPOINT, type Target } from './phases.ts';
import { ms, percentile } from './stats.ts';

/** Schedule creates in flight while setting up the phase. */
const CREATE_CONCURRENCY = 16;
/** The slot is at least this far ahead of the start, so every schedule exists before it comes. */
const MIN_LEAD_MS = 8_000;
/** Paused schedules made first to time a create on this machine now; the lead is twice what the rest should take. */
const PROBES = 32;

export interface ScheduleLagResult {
  schedules: number;
  /** slot → the run.queued event received by the bench over the tenant's SSE stream (after the commit). */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** slot → the run's created_at (the server's clock when its transaction began). */
  createdAtP50Ms: number;
  createdAtP99Ms: number;
  /** How long creating the schedules took (not measured in the lag). */
  setupSeconds: number;
}

/**
 * Scheduler lag: `count` schedules whose one slot is the same second, a few seconds ahead (a
 * six-field cron naming that second of the day, in UTC). The server's ticker wakes at the slot
 * and starts their runs; the bench hears each `run.queued` on the tenant's event stream (sent
 * after the commit) and takes the time from the slot to that event, on the machine's one clock
 * (the server runs on the same machine). No worker: the runs stay queued. Checked: every
 * schedule made exactly one run, for that slot.
 */
export async function schedulePhase(target: Target, agent: string, count: number): Promise<ScheduleLagResult> {
  const { client } = target;
  const received = new Map<string, number>();
  const abort = new AbortController();
  // The stream is open (and quiet: the agent has no runs yet) before any schedule exists.
  const listening = (async () => {
    try {
      for await (const event of client.events.stream({ agent, type: 'run.queued', signal: abort.signal }) as AsyncIterable<RunEvent>) {
        if (!received.has(event.run_id)) received.set(event.run_id, Date.now());
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  const createAll = async (n: number, body: (i: number) => Parameters<typeof client.schedules.create>[0]) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        while (next < n) await client.schedules.create(body(next++));
      }),
    );
  };
  // A shared machine may be slow: the creates are timed first, so the slot is far enough ahead.
  const p0 = Date.now();
  await createAll(PROBES, (i) => ({ id: `${agent}-probe-${i}`, cron: '0 0 1 1 *', target: { agent, endpoint: ENDPOINT }, input: {}, paused: true }));
  const perCreateMs = (Date.now() - p0) / PROBES;
  const t0 = Date.now();
  const slot = Math.ceil((t0 + Math.max(MIN_LEAD_MS, 2 * perCreateMs * count)) / 1000) * 1000;
  const at = new Date(slot);
  const cron = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
  log(`schedules: ${count} schedules with cron '${cron}' (UTC), all due at ${at.toISOString()}`);
  await createAll(count, (i) => ({ id: `${agent}-${i}`, cron, timezone: 'UTC', target: { agent, endpoint: ENDPOINT }, input: { i } }));
  const setupMs = Date.now() - t0;
  if (Date.now() >= slot) throw new Error(`creating ${count} schedules took ${setupMs} ms, past their slot; the lag would not be measured`);
  const deadline = slot + target.stallTimeoutMs;
  while (received.size < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  abort.abort();
  await listening;
  if (received.size < count) throw new Error(`only ${received.size} of ${count} scheduled runs were created within ${target.stallTimeoutMs} ms of their slot`);

  const createdAt: number[] = [];
  const seen = new Set<string>();
  for await (const run of client.runs.list({ agent, limit: 500 })) {
    const meta = run.metadata as { schedule?: { id: string; slot: string } };
    if (!meta.schedule || meta.schedule.slot !== at.toISOString()) throw new Error(`run ${run.id} is not for the slot ${at.toISOString()}: ${JSON.stringify(meta)}`);
    if (seen.has(meta.schedule.id)) throw new Error(`schedule ${meta.schedule.id} made two runs for one slot`);
    seen.add(meta.schedule.id);
    createdAt.push(Date.parse(run.created_at) - slot);
  }
  if (seen.size !== count) throw new Error(`${seen.size} schedules made a run, ${count} expected`);
  const lags = [...received.values()].map((t) => t - slot);
  return {
    schedules: count,
    lagP50Ms: ms(percentile(lags, 50)),
    lagP99Ms: ms(percentile(lags, 99)),
    lagMaxMs: ms(Math.max(...lags)),
    createdAtP50Ms: ms(percentile(createdAt, 50)),
    createdAtP99Ms: ms(percentile(createdAt, 99)),
    setupSeconds: Math.round(setupMs / 100) / 10,
  };
}
