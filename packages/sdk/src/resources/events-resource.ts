import type { RunEvent } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import { EventStream } from '../sse/event-stream.ts';
import type { EventListParams, EventStreamParams } from './resource-types.ts';

/**
 * How many recent ids the tenant stream remembers to drop repeats after a resume. Event ids are
 * opaque strings here (no order the client may assume), so the guard is a window, not a compare.
 */
const RECENT_IDS = 1024;

/** `/v1/events`: every event of the tenant, filtered. */
export class EventsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * A live stream that never ends by itself: it resumes after drops with `Last-Event-ID`; stop it
   * with `signal` or by leaving the loop.
   *
   * @example
   * const ac = new AbortController();
   * for await (const event of client.events.stream({ type: 'run.*', signal: ac.signal })) console.log(event.type);
   */
  stream(params: EventStreamParams = {}): EventStream<RunEvent> {
    const recent = new Set<string>();
    return new EventStream<RunEvent>({
      client: this.#client,
      path: '/v1/events',
      query: { agent: params.agent, run: params.run, type: params.type },
      after: params.after,
      signal: params.signal,
      isDuplicate: (event) => {
        if (recent.has(event.id)) return true;
        recent.add(event.id);
        if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value as string);
        return false;
      },
    });
  }

  /**
   * The JSON form: pages after `after`; iterating walks on with `next_cursor`.
   * @example const page = await client.events.list({ run: 'run_123', limit: 100 });
   */
  list(params: EventListParams = {}, options?: RequestOptions): PagePromise<RunEvent> {
    const { after, ...filters } = params;
    return new PagePromise<RunEvent>((cursor) =>
      this.#client.request({ method: 'GET', path: '/v1/events', query: { ...filters, after: cursor ?? after } }, options),
    );
  }
}
