import { isTerminal, type Run, type RunEvent } from '@agentd/protocol';
import { AgentdError, APIUserAbortError } from '../errors/index.ts';
import { anySignal, sleep } from '../core/abort-utils.ts';
import type { RequestOptions } from '../core/request-options.ts';
import { backoffDelayMs } from '../core/retry-policy.ts';
import type { EventStream } from '../sse/event-stream.ts';
import type { RunWaitOptions } from './resource-types.ts';

/** The run has not ended within `timeoutMs`; it keeps going on the server. */
export class RunWaitTimeoutError extends AgentdError {
  override name = 'RunWaitTimeoutError';
  readonly runId: string;
  constructor(runId: string, timeoutMs: number) {
    super(`Run ${runId} did not end within ${timeoutMs} ms.`);
    this.runId = runId;
  }
}

/** The slice of RunsResource the waiter needs; keeps this file free of a circular import. */
interface RunReader {
  retrieve(id: string, options?: RequestOptions): Promise<Run>;
  events(id: string, params: { signal?: AbortSignal; maxReconnects?: number }): EventStream<RunEvent>;
}

/**
 * A few failed reconnects are enough to decide the stream is not working here (a proxy that
 * buffers SSE, say); polling is slower but works through anything that passes plain GETs.
 */
const STREAM_RECONNECTS_BEFORE_POLLING = 3;
/** Polling starts at 0.5 s and slows to this. */
const MAX_POLL_INTERVAL_MS = 5_000;

export async function waitForRun(reader: RunReader, run: Run, options: RunWaitOptions): Promise<Run> {
  if (isTerminal(run.status)) return run;
  const deadline = new AbortController();
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => deadline.abort(), options.timeoutMs);
  const signal = anySignal([options.signal, deadline.signal]) as AbortSignal;
  try {
    await followStream(reader, run.id, signal);
    return await pollUntilTerminal(reader, run.id, signal);
  } catch (err) {
    if (deadline.signal.aborted && !options.signal?.aborted) throw new RunWaitTimeoutError(run.id, options.timeoutMs ?? 0);
    if (options.signal?.aborted) throw new APIUserAbortError({ cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Returns when the stream saw the terminal event, or failed (then the caller polls). */
async function followStream(reader: RunReader, id: string, signal: AbortSignal): Promise<void> {
  try {
    for await (const _event of reader.events(id, { signal, maxReconnects: STREAM_RECONNECTS_BEFORE_POLLING })) {
      // Only the end matters: the stream closes itself after the terminal event.
    }
  } catch (err) {
    if (signal.aborted) throw err;
    // A stream that does not work is not fatal to waiting: polling below finds the end too.
  }
  if (signal.aborted) throw signal.reason ?? new APIUserAbortError();
}

/** After the terminal event one retrieve normally suffices; a failed stream makes this a poll. */
async function pollUntilTerminal(reader: RunReader, id: string, signal: AbortSignal): Promise<Run> {
  for (let attempt = 0; ; attempt++) {
    const run = await reader.retrieve(id, { signal });
    if (isTerminal(run.status)) return run;
    await sleep(backoffDelayMs(attempt, { maxMs: MAX_POLL_INTERVAL_MS }), signal);
  }
}
