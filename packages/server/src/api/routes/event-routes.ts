import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TERMINAL_EVENT_TYPES } from '@agentd/protocol';
import type { AppDeps } from '../app.ts';
import { tenantOf } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { RunEvent, Type, errors } from '../schemas.ts';
import { SseStream, Waker, wantsJson } from '../sse.ts';

/** Streams read a small first page (a reconnecting client wants its next frame now), then bigger ones. */
const FIRST_PAGE = 50;
const STREAM_PAGE = 500;
const JSON_PAGE_MAX = 1000;
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The resume point: `Last-Event-ID` wins over `?after=`. Both must be non-negative integers. */
function resumeFrom(request: FastifyRequest, fallback: number): number {
  const header = request.headers['last-event-id'];
  const raw = typeof header === 'string' && header !== '' ? header : (request.query as { after?: string }).after;
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,15}$/.test(raw)) throw new ApiError('VALIDATION_ERROR', 'Last-Event-ID / after must be a non-negative integer', [{ path: 'after', message: 'must be a non-negative integer' }]);
  return Number(raw);
}

const EventsQuery = Type.Object(
  { after: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: JSON_PAGE_MAX, default: 100 })) },
  { additionalProperties: false },
);
const TenantEventsQuery = Type.Object(
  {
    after: Type.Optional(Type.String()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: JSON_PAGE_MAX, default: 100 })),
    agent: Type.Optional(Type.String()),
    run: Type.Optional(Type.String()),
    type: Type.Optional(Type.String({ maxLength: 120 })),
  },
  { additionalProperties: false },
);
const EventPage = Type.Object({ data: Type.Array(RunEvent), next_cursor: Type.Union([Type.String(), Type.Null()]) });
const SSE_DOC = 'With Accept: text/event-stream (default) an SSE stream: id = seq, event = type, data = the event JSON. With Accept: application/json, a page.';

export function eventRoutes(app: FastifyInstance, { engine, config }: AppDeps): void {
  app.get(
    '/v1/runs/:id/events',
    {
      config: { permission: 'read' },
      schema: { tags: ['events'], summary: "A run's events", description: SSE_DOC, params: Type.Object({ id: Type.String() }), querystring: EventsQuery, response: { 200: EventPage, ...errors(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const runId = (request.params as { id: string }).id;
      const after = resumeFrom(request, 0);
      await engine.events.runInfo(tenantId, runId); // 404 before any stream starts
      if (wantsJson(request)) {
        const limit = (request.query as { limit: number }).limit;
        const data = await engine.events.runEvents(tenantId, runId, after, limit);
        return { data, next_cursor: data.length === limit ? String(data[data.length - 1].seq) : null };
      }
      return streamRun(request, reply, runId, tenantId, after);
    },
  );

  async function streamRun(request: FastifyRequest, reply: FastifyReply, runId: string, tenantId: string, startAfter: number): Promise<void> {
    const stream = new SseStream(request, reply, { heartbeatMs: config.sseHeartbeatMs });
    const waker = new Waker();
    const off = engine.store.notifier.on(`run:${runId}`, () => waker.wake());
    stream.onClose(() => {
      off();
      waker.wake();
    });
    let after = startAfter;
    let pageSize = FIRST_PAGE;
    try {
      while (!stream.closed) {
        const events = await engine.events.runEvents(tenantId, runId, after, pageSize);
        for (const e of events) {
          await stream.send(String(e.seq), e.type, e);
          after = e.seq;
          if (TERMINAL_EVENT_TYPES.has(e.type)) return;
        }
        if (events.length === pageSize) {
          pageSize = STREAM_PAGE;
          await yieldToIo(); // notice a client that hung up before reading the next page
          continue;
        }
        await waker.wait(config.streamRecheckMs);
      }
    } catch (err) {
      request.log.warn({ err }, 'run event stream ended by an error');
    } finally {
      off();
      stream.end();
    }
  }

  app.get(
    '/v1/events',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['events'],
        summary: "The tenant's events, live",
        description: `${SSE_DOC} Here the id is the tenant-wide event id. Without a cursor the stream starts at the newest event.`,
        querystring: TenantEventsQuery,
        response: { 200: EventPage, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const q = request.query as { limit: number; agent?: string; run?: string; type?: string };
      const filter = { agent: q.agent, run: q.run, type: q.type };
      if (wantsJson(request)) {
        const data = await engine.events.tenantEvents(tenantId, resumeFrom(request, 0), filter, q.limit);
        return { data, next_cursor: data.length === q.limit ? data[data.length - 1].id : null };
      }
      const start = resumeFrom(request, await engine.events.latestTenantEventId(tenantId));
      const stream = new SseStream(request, reply, { heartbeatMs: config.sseHeartbeatMs });
      const waker = new Waker();
      const off = engine.store.notifier.on(`tenant:${tenantId}`, () => waker.wake());
      stream.onClose(() => {
        off();
        waker.wake();
      });
      let after = start;
      let pageSize = FIRST_PAGE;
      try {
        while (!stream.closed) {
          const events = await engine.events.tenantEvents(tenantId, after, filter, pageSize);
          for (const e of events) {
            await stream.send(e.id, e.type, e);
            after = Number(e.id);
          }
          if (events.length === pageSize) {
            pageSize = STREAM_PAGE;
            await yieldToIo();
            continue;
          }
          await waker.wait(config.streamRecheckMs);
        }
      } catch (err) {
        request.log.warn({ err }, 'tenant event stream ended by an error');
      } finally {
        off();
        stream.end();
      }
    },
  );
}

