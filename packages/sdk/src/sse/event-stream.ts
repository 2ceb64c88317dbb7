import { APIError, AgentdError } from '../errors/index.ts';
import { anySignal, sleepUntilAborted } from '../core/abort-utils.ts';
import type { HttpClient } from '../core/http-client.ts';
import type { QueryValue } from '../core/request-options.ts';
import { backoffDelayMs, isRetryableStatus, parseRetryAfterMs } from '../core/retry-policy.ts';
import { readSseMessages } from './sse-body-reader.ts';
import { parseSseJson, SseParseError } from './sse-parse-error.ts';

/**
 * Three missed 15 s pings: past this a silent connection is presumed dead (a NAT or proxy
 * dropped it without a FIN) and is replaced, instead of waiting forever on a socket that is gone.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 45_000;

export interface EventStreamConfig<T> {
  client: HttpClient;
  path: string;
  /** Filters sent on every connection. */
  query?: Record<string, QueryValue>;
  /** Start after this cursor (`?after=` on the first connection). */
  after?: string;
  /** Stops the stream; iteration then ends quietly. */
  signal?: AbortSignal;
  /** The stream ends after an event for which this is true (a run's terminal event). */
  isLast?: (event: T) => boolean;
  /** Drops an event already delivered; guards the resume against a server that repeats one. */
  isDuplicate?: (event: T, previous: T | undefined) => boolean;
  /** Connections in a row that may fail (or close with no event) before the error is thrown. Default: Infinity. */
  maxReconnects?: number;
  /** Milliseconds without a byte (pings included) before the connection is replaced. Default: 45000. */
  idleTimeoutMs?: number;
}

/**
 * A resumable SSE stream of JSON events. On a dropped connection it reconnects with backoff and
 * `Last-Event-ID` set to the last id it delivered, so nothing is missed or repeated. A parse error
 * or a final HTTP error (401, 404, …) is thrown; the caller's abort ends iteration quietly.
 *
 * @example
 * for await (const event of client.runs.events(run.id)) console.log(event.seq, event.type);
 */
export class EventStream<T> implements AsyncIterable<T> {
  readonly #config: EventStreamConfig<T>;
  #lastEventId: string | undefined;

  constructor(config: EventStreamConfig<T>) {
    this.#config = config;
    this.#lastEventId = config.after;
  }

  /** The id of the last delivered event: pass it as `after` to resume elsewhere. */
  get lastEventId(): string | undefined {
    return this.#lastEventId;
  }

  [Symbol.asyncIterator](): AsyncGenerator<T> {
    return this.#iterate();
  }

  async *#iterate(): AsyncGenerator<T> {
    const { signal, maxReconnects = Infinity } = this.#config;
    let failures = 0;
    let serverRetryMs: number | undefined;
    let previous: T | undefined;
    let first = true;
    while (!signal?.aborted) {
      const connection = new Connection(this.#config.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
      let delivered = false;
      let failure: unknown;
      try {
        const body = await this.#open(first, anySignal([signal, connection.signal]));
        connection.touch();
        for await (const message of readSseMessages(body, () => connection.touch())) {
          if (message.retry !== undefined) serverRetryMs = message.retry;
          if (message.event === '') continue;
          const event = parseSseJson<T>(message);
          if (this.#config.isDuplicate?.(event, previous)) continue;
          previous = event;
          if (message.id !== undefined) this.#lastEventId = message.id;
          delivered = true;
          failures = 0;
          yield event;
          if (this.#config.isLast?.(event)) return;
        }
      } catch (err) {
        if (signal?.aborted) return;
        if (!isReconnectable(err)) throw err;
        failure = err;
      } finally {
        connection.close();
      }
      first = false;
      if (!delivered && ++failures > maxReconnects) {
        throw failure ?? new AgentdError(`The event stream ${this.#config.path} closed ${failures} times without an event.`);
      }
      await sleepUntilAborted(reconnectDelayMs(failure, failures, serverRetryMs), signal);
    }
  }

  async #open(first: boolean, signal: AbortSignal | undefined): Promise<ReadableStream<Uint8Array>> {
    const { client, path, query } = this.#config;
    // The first connection names its start with ?after=; a resume says Last-Event-ID only, so the
    // server never has two cursors to choose between.
    const after = first ? this.#lastEventId : undefined;
    const resumeFrom = first ? undefined : this.#lastEventId;
    const response = await client.requestStream(
      {
        method: 'GET',
        path,
        query: { ...query, after },
        headers: resumeFrom === undefined ? undefined : { 'last-event-id': resumeFrom },
      },
      { signal, maxRetries: 0 },
    );
    if (!response.body) throw new AgentdError(`The event stream ${path} answered without a body.`);
    return response.body;
  }
}

/**
 * After a healthy connection ends, the server's `retry:` (if any) is the wait, as the SSE spec
 * has it; repeated failures back off, never below it; a Retry-After header wins over both.
 */
function reconnectDelayMs(failure: unknown, failures: number, serverRetryMs: number | undefined): number {
  const retryAfter = failure instanceof APIError ? parseRetryAfterMs(failure.headers) : undefined;
  if (retryAfter !== undefined) return retryAfter;
  if (failures === 0 && serverRetryMs !== undefined) return serverRetryMs;
  return Math.max(serverRetryMs ?? 0, backoffDelayMs(Math.max(0, failures - 1)));
}

/** A parse error or a final HTTP answer ends the stream; anything else is a dropped connection. */
function isReconnectable(err: unknown): boolean {
  if (err instanceof SseParseError) return false;
  if (err instanceof APIError && err.status !== undefined) return isRetryableStatus(err.status, err.code);
  return true;
}

/** One connection's abort switch and idle watchdog. */
class Connection {
  readonly #controller = new AbortController();
  readonly #idleMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(idleMs: number) {
    this.#idleMs = idleMs;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#controller.abort(new AgentdError('The event stream went silent.')), this.#idleMs);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#controller.abort();
  }
}
