import { TERMINAL_EVENT_TYPES, type Run, type RunAttempt, type RunEvent, type Signal } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import { EventStream } from '../sse/event-stream.ts';
import type {
  DataList,
  ListParams,
  RunCancelParams,
  RunRetryParams,
  RunCreateParams,
  RunEventsPageParams,
  RunEventsParams,
  RunListParams,
  RunUpdateParams,
  RunWaitOptions,
} from './resource-types.ts';
import { waitForRun } from './run-waiter.ts';

const seg = encodeURIComponent;

/** `/v1/runs`: start, inspect, cancel, stream and wait for runs. */
export class RunsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /** @example const run = await client.runs.create({ agent: 'greeter', endpoint: 'greet', input: { name: 'Ada' } }); */
  create(params: RunCreateParams, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'POST', path: '/v1/runs', body: params }, options);
  }

  /**
   * Creates 1–1000 runs at once, all or nothing.
   * @example const { data } = await client.runs.createBatch([{ agent: 'greeter', endpoint: 'greet', input: {} }]);
   */
  createBatch(runs: RunCreateParams[], options?: RequestOptions): Promise<DataList<Run>> {
    return this.#client.request<DataList<Run>>({ method: 'POST', path: '/v1/runs/batch', body: { runs } }, options);
  }

  /** @example const run = await client.runs.retrieve('run_123'); */
  retrieve(id: string, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'GET', path: `/v1/runs/${seg(id)}` }, options);
  }

  /** Newest first. @example for await (const run of client.runs.list({ status: 'failed' })) console.log(run.id); */
  list(params: RunListParams = {}, options?: RequestOptions): PagePromise<Run> {
    const status = Array.isArray(params.status) ? params.status.join(',') : params.status;
    return this.#client.requestPage<Run>('/v1/runs', { ...params, status }, options);
  }

  /**
   * The run's child runs (agent-to-agent calls, workflow steps), newest first. For the whole tree: `list({ root })`.
   * @example for await (const child of client.runs.children('run_123')) console.log(child.id, child.status);
   */
  children(id: string, params: ListParams = {}, options?: RequestOptions): PagePromise<Run> {
    return this.#client.requestPage<Run>(`/v1/runs/${seg(id)}/children`, { ...params }, options);
  }

  /** @example await client.runs.cancel('run_123', { reason: 'superseded' }); */
  cancel(id: string, params: RunCancelParams = {}, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'POST', path: `/v1/runs/${seg(id)}/cancel`, body: params }, options);
  }

  /**
   * Retries a workflow run that failed (or was cancelled, or timed out) from its failed steps:
   * answers a **new** workflow run that keeps the old one's succeeded steps and their outputs and
   * runs only the rest (the old run never changes). Anything else is a `ConflictError`
   * (RUN_NOT_RETRYABLE). Idempotent: the call's Idempotency-Key makes one retry.
   * @example const again = await client.runs.retry(failed.id);
   */
  retry(id: string, params: RunRetryParams = {}, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'POST', path: `/v1/runs/${seg(id)}/retry`, body: params }, options);
  }

  /**
   * Sends a signal (any JSON payload) to a run that has not ended; it is kept until a wait for
   * `name` consumes it (`ctx.waitForSignal(name)` in the worker), so it is never lost to a wait
   * that has not begun. An ended run is a `ConflictError` (RUN_ALREADY_TERMINAL). Idempotent: the
   * call's Idempotency-Key (a random one per call, reused by its retries) makes one signal.
   * @example await client.runs.signal(run.id, 'approved', { by: 'ada' });
   */
  signal(id: string, name: string, payload: unknown = null, options?: RequestOptions): Promise<Signal> {
    return this.#client.request<Signal>({ method: 'POST', path: `/v1/runs/${seg(id)}/signals/${seg(name)}`, body: payload ?? null }, options);
  }

  /** The run's signals, oldest first, with their payloads and which wait consumed each. @example const { data } = await client.runs.signals(run.id); */
  signals(id: string, options?: RequestOptions): Promise<DataList<Signal>> {
    return this.#client.request<DataList<Signal>>({ method: 'GET', path: `/v1/runs/${seg(id)}/signals` }, options);
  }

  /**
   * Changes a live run's max_attempts, retry policy, deadline or priority, based on `generation`
   * (the run's as last read). A stale generation is a `ConflictError` with code
   * GENERATION_CONFLICT (its `details.generation` is the current one): read the run again and
   * reapply. Not retried on a lost answer: a repeat would be refused as stale.
   * @example
   * const run = await client.runs.retrieve('run_123');
   * await client.runs.update(run.id, { generation: run.generation, max_attempts: 5 });
   */
  update(id: string, params: RunUpdateParams, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'PATCH', path: `/v1/runs/${seg(id)}`, body: params }, options);
  }

  /** @example const { data: attempts } = await client.runs.attempts('run_123'); */
  attempts(id: string, options?: RequestOptions): Promise<DataList<RunAttempt>> {
    return this.#client.request<DataList<RunAttempt>>({ method: 'GET', path: `/v1/runs/${seg(id)}/attempts` }, options);
  }

  /**
   * The run's events over SSE, live; iteration ends after the terminal event. A dropped
   * connection resumes after the last seq delivered, with no gap and no repeat.
   *
   * @example
   * for await (const event of client.runs.events(run.id)) if (event.type === 'run.output.delta') process.stdout.write(String(event.data.delta));
   */
  events(id: string, params: RunEventsParams & { maxReconnects?: number } = {}): EventStream<RunEvent> {
    return new EventStream<RunEvent>({
      client: this.#client,
      path: `/v1/runs/${seg(id)}/events`,
      after: params.after === undefined ? undefined : String(params.after),
      signal: params.signal,
      maxReconnects: params.maxReconnects,
      isLast: (event) => TERMINAL_EVENT_TYPES.has(event.type),
      isDuplicate: (event, previous) => previous !== undefined && event.seq <= previous.seq,
    });
  }

  /**
   * The JSON form of the run's events: pages of up to 1000 after `after`; iterating walks on
   * with `next_cursor` as the next `after`.
   *
   * @example
   * const page = await client.runs.eventsPage(run.id, { after: 0, limit: 100 });
   */
  eventsPage(id: string, params: RunEventsPageParams = {}, options?: RequestOptions): PagePromise<RunEvent> {
    const path = `/v1/runs/${seg(id)}/events`;
    return new PagePromise<RunEvent>((cursor) =>
      this.#client.request({ method: 'GET', path, query: { limit: params.limit, after: cursor ?? params.after } }, options),
    );
  }

  /**
   * Creates a run and resolves with it once it has ended (any terminal status: check
   * `run.status`). Follows the SSE stream and falls back to polling if the stream fails.
   *
   * @example
   * const run = await client.runs.createAndWait({ agent: 'greeter', endpoint: 'greet', input: { name: 'Ada' } }, { timeoutMs: 60_000 });
   * if (run.status === 'succeeded') console.log(run.output);
   */
  async createAndWait(params: RunCreateParams, options: RunWaitOptions & RequestOptions = {}): Promise<Run> {
    const { timeoutMs, ...requestOptions } = options;
    const run = await this.create(params, requestOptions);
    return waitForRun(this, run, { timeoutMs, signal: options.signal });
  }

  /**
   * Resolves with the run once it has ended. @example const done = await client.runs.wait('run_123');
   */
  async wait(id: string, options: RunWaitOptions = {}): Promise<Run> {
    return waitForRun(this, await this.retrieve(id, { signal: options.signal }), options);
  }
}
