import type { MultitaskStrategy, RunEvent, RunFailure, Session, SessionDeleted, SessionMessage, SessionMessageAccepted, SessionStatus } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import { EventStream } from '../sse/event-stream.ts';
import type { RunsResource } from './runs-resource.ts';

/** `POST /v1/sessions`: the agent, and the endpoint its messages run (may be left out when the agent has one). */
export interface SessionCreateParams {
  agent: string;
  endpoint?: string;
  metadata?: Record<string, unknown>;
  /** Idle time (ms) after which the session ends itself. Default: the server's (24 h). */
  idle_ttl_ms?: number;
}

export interface SessionListParams {
  agent?: string;
  status?: SessionStatus;
  limit?: number;
  cursor?: string;
}

export interface SessionSendParams {
  /** While a message is in flight: `reject` (default, 409 SESSION_BUSY), `enqueue`, `interrupt`. */
  multitask?: MultitaskStrategy;
  metadata?: Record<string, unknown>;
  /** Stops the reply's stream (the message itself stays sent). */
  signal?: AbortSignal;
}

/** How a message's run ended: the reply (its output) when it succeeded. */
export interface SessionReply {
  run_id: string;
  status: 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
  /** The run's output: the reply appended to the history. Null unless succeeded. */
  output: unknown;
  /** The text the run streamed (`run.output.delta`), for a partial reply too. */
  streamed: string;
  error: RunFailure | null;
}

const seg = encodeURIComponent;
const TERMINAL: Record<string, SessionReply['status']> = { 'run.succeeded': 'succeeded', 'run.failed': 'failed', 'run.cancelled': 'cancelled', 'run.timed_out': 'timed_out' };

/**
 * One sent message: iterate it for the reply's events (they resume by themselves after a drop,
 * without a gap or a repeat), then `finalReply()`; or call `finalReply()` alone.
 */
export class SessionMessageStream implements AsyncIterable<RunEvent> {
  /** The accepted message (its run_id): rejects with the API error (409 SESSION_BUSY, 410 SESSION_ENDED, 422…). */
  readonly accepted: Promise<SessionMessageAccepted>;
  readonly #runs: RunsResource;
  readonly #signal: AbortSignal | undefined;
  #iterated = false;
  #reply: SessionReply | null = null;
  #streamed = '';

  constructor(accepted: Promise<SessionMessageAccepted>, runs: RunsResource, signal: AbortSignal | undefined) {
    this.accepted = accepted;
    this.#runs = runs;
    this.#signal = signal;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RunEvent> {
    if (this.#iterated) throw new Error('a message stream can be iterated once');
    this.#iterated = true;
    const { run_id } = await this.accepted;
    for await (const event of this.#runs.events(run_id, { signal: this.#signal })) {
      if (event.type === 'run.output.delta') {
        // A worker's delta is {delta}; an LLM agent's is {text}.
        const data = event.data as { delta?: unknown; text?: unknown };
        const delta = data.delta ?? data.text;
        this.#streamed += typeof delta === 'string' ? delta : JSON.stringify(delta);
      }
      const status = TERMINAL[event.type];
      if (status) {
        const data = event.data as { output?: unknown; error?: RunFailure };
        this.#reply = { run_id, status, output: status === 'succeeded' ? (data.output ?? null) : null, streamed: this.#streamed, error: data.error ?? null };
      }
      yield event;
    }
  }

  /**
   * The reply once the message's run has ended (reading the rest of the stream if it was not iterated).
   * @example const { output } = await client.sessions.send(session.id, { name: 'Ada' }).finalReply();
   */
  async finalReply(): Promise<SessionReply> {
    if (!this.#iterated) for await (const _ of this);
    if (!this.#reply) throw new Error('the reply stream ended before the run did (aborted)');
    return this.#reply;
  }
}

/** `/v1/sessions`: conversations with an agent whose messages are runs of one endpoint. */
export class SessionsResource {
  readonly #client: HttpClient;
  readonly #runs: RunsResource;

  constructor(client: HttpClient, runs: RunsResource) {
    this.#client = client;
    this.#runs = runs;
  }

  /** @example const session = await client.sessions.create({ agent: 'hello', endpoint: 'greet' }); */
  create(params: SessionCreateParams, options?: RequestOptions): Promise<Session> {
    return this.#client.request<Session>({ method: 'POST', path: '/v1/sessions', body: params }, options);
  }

  /** @example const s = await client.sessions.retrieve('ses_123'); */
  retrieve(id: string, options?: RequestOptions): Promise<Session> {
    return this.#client.request<Session>({ method: 'GET', path: `/v1/sessions/${seg(id)}` }, options);
  }

  /** Newest first. @example for await (const s of client.sessions.list({ agent: 'hello', status: 'active' })) console.log(s.id); */
  list(params: SessionListParams = {}, options?: RequestOptions): PagePromise<Session> {
    return this.#client.requestPage<Session>('/v1/sessions', { ...params }, options);
  }

  /** The history, oldest first. @example for await (const m of client.sessions.messages('ses_123')) console.log(m.role, m.content); */
  messages(id: string, params: { limit?: number; cursor?: string } = {}, options?: RequestOptions): PagePromise<SessionMessage> {
    return this.#client.requestPage<SessionMessage>(`/v1/sessions/${seg(id)}/messages`, { ...params }, options);
  }

  /**
   * Sends a message (for a worker agent, the endpoint's input; for an LLM agent, the user's text).
   * Returns at once: iterate it for the reply's events, or await `finalReply()`.
   * @example
   * const msg = client.sessions.send(session.id, { name: 'Ada' });
   * for await (const e of msg) if (e.type === 'run.output.delta') process.stdout.write(String(e.data.delta));
   * const reply = await msg.finalReply();
   */
  send(id: string, content: unknown, params: SessionSendParams = {}, options?: RequestOptions): SessionMessageStream {
    const accepted = this.sendMessage(id, content, params, options);
    // Nothing is lost: SessionMessageStream awaits this same promise and rethrows its error from
    // iteration and finalReply(). This handler only keeps it from being an unhandled rejection
    // while the caller has not started either yet.
    accepted.catch(() => {});
    return new SessionMessageStream(accepted, this.#runs, params.signal);
  }

  /** The message alone (`POST /v1/sessions/{id}/messages`), without following its reply. */
  sendMessage(id: string, content: unknown, params: Omit<SessionSendParams, 'signal'> = {}, options?: RequestOptions): Promise<SessionMessageAccepted> {
    const body: Record<string, unknown> = { content };
    if (params.multitask !== undefined) body.multitask = params.multitask;
    if (params.metadata !== undefined) body.metadata = params.metadata;
    return this.#client.request<SessionMessageAccepted>({ method: 'POST', path: `/v1/sessions/${seg(id)}/messages`, body }, options);
  }

  /**
   * Every event of the session's messages, live; it resumes after drops with `Last-Event-ID` and
   * never ends by itself (stop it with `signal`).
   * @example for await (const e of client.sessions.events('ses_123', { signal })) console.log(e.run_id, e.type);
   */
  events(id: string, params: { after?: string; signal?: AbortSignal } = {}): EventStream<RunEvent> {
    return new EventStream<RunEvent>({
      client: this.#client,
      path: `/v1/sessions/${seg(id)}/events`,
      after: params.after,
      signal: params.signal,
      // Ids are the tenant's event ids, increasing within the stream.
      isDuplicate: (event, previous) => previous !== undefined && Number(event.id) <= Number(previous.id),
    });
  }

  /** No new messages until resumed; the one in flight finishes. @example await client.sessions.pause('ses_123'); */
  pause(id: string, options?: RequestOptions): Promise<Session> {
    return this.#client.request<Session>({ method: 'POST', path: `/v1/sessions/${seg(id)}/pause` }, options);
  }

  /** @example await client.sessions.resume('ses_123'); */
  resume(id: string, options?: RequestOptions): Promise<Session> {
    return this.#client.request<Session>({ method: 'POST', path: `/v1/sessions/${seg(id)}/resume` }, options);
  }

  /** For good: later messages are 410 SESSION_ENDED; live runs are cancelled. @example await client.sessions.end('ses_123'); */
  end(id: string, params: { reason?: string } = {}, options?: RequestOptions): Promise<Session> {
    return this.#client.request<Session>({ method: 'POST', path: `/v1/sessions/${seg(id)}/end`, body: params }, options);
  }

  /** A new session with this one's history up to `message_id` (default: all of it). @example const f = await client.sessions.fork('ses_123', { message_id: 'msg_456' }); */
  fork(id: string, params: { message_id?: string; metadata?: Record<string, unknown> } = {}, options?: RequestOptions): Promise<Session> {
    return this.#client.request<Session>({ method: 'POST', path: `/v1/sessions/${seg(id)}/fork`, body: params }, options);
  }

  /** With its history. @example await client.sessions.delete('ses_123'); */
  delete(id: string, options?: RequestOptions): Promise<SessionDeleted> {
    return this.#client.request<SessionDeleted>({ method: 'DELETE', path: `/v1/sessions/${seg(id)}` }, options);
  }
}


