import type { Task } from '@agentd/protocol';
import type { Agentd } from '../agentd-client.ts';
import { AgentdError } from '../errors/index.ts';
import { fencedCall } from './lease-conflict.ts';

export interface WaitForSignalOptions {
  /** How long to wait, in ms; then `SignalTimeoutError`. Default: no limit (null). */
  timeout?: number | null;
}

/** `ctx.waitForSignal(name, { timeout })` found no signal in time; the run went back to running. */
export class SignalTimeoutError extends AgentdError {
  override name = 'SignalTimeoutError';
  readonly signalName: string;
  readonly timeoutMs: number;
  constructor(signalName: string, timeoutMs: number) {
    super(`No signal ${JSON.stringify(signalName)} arrived within ${timeoutMs} ms.`);
    this.signalName = signalName;
    this.timeoutMs = timeoutMs;
  }
}

/** How long one long-poll waits on the server; the heartbeat keeps the lease alive meanwhile. */
const POLL_WAIT_MS = 20_000;

/** The key of the n-th call named `name` in an attempt: `name`, `name#2`, … (ctx.step and ctx.waitForSignal alike). */
export function occurrenceKey(counts: Map<string, number>, name: string): string {
  const n = (counts.get(name) ?? 0) + 1;
  counts.set(name, n);
  return n === 1 ? name : `${name}#${n}`;
}

/**
 * `ctx.waitForSignal(name)`: resolves to the payload of the oldest signal of that name sent to
 * the run (before or during the wait), consuming it. The run is `waiting` (reason `signal`)
 * meanwhile and the lease kept alive. Each wait is named by its occurrence (`name`, `name#2`…),
 * the same on every attempt of deterministic code, so a retried attempt gets back the signal
 * its earlier attempt consumed at that place instead of waiting for another.
 */
export function createSignalWaiter(client: Agentd, task: Task, signal: AbortSignal): <T = unknown>(name: string, opts?: WaitForSignalOptions) => Promise<T> {
  const counts = new Map<string, number>();
  return async <T>(name: string, opts: WaitForSignalOptions = {}): Promise<T> => {
    const key = occurrenceKey(counts, name);
    const timeout = opts.timeout ?? null;
    const until = timeout === null ? null : Date.now() + timeout;
    for (;;) {
      signal.throwIfAborted();
      const remaining = until === null ? POLL_WAIT_MS : until - Date.now();
      // The poll that covers the end of the timeout says so: with no signal, the server resumes the run in the same write.
      const last = until !== null && remaining <= POLL_WAIT_MS;
      const waitMs = Math.max(0, Math.min(POLL_WAIT_MS, remaining));
      const got = await fencedCall(task, signal, () => client.leases.waitSignal(task.lease_id, name, { key, wait_ms: waitMs, last }, { signal }));
      if (got.signal) return got.signal.payload as T;
      if (last) throw new SignalTimeoutError(name, timeout!);
    }
  };
}
