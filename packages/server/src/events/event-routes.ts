import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TERMINAL_EVENT_TYPES } from '@agentd/protocol';
import type { AppDeps } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { RunEvent, Type, errors } from '../http/index.ts';
import { pumpStream, resumeCursor, wantsJson } from '../http/index.ts';

const JSON_PAGE_MAX = 1000;

/** The resume point: `Last-Event-ID` wins over `?after=`. */
function resumeFrom(request: FastifyRequest, fallback: number): number {
  return resumeCursor(request, (request.query as { after?: string }).after, 'after') ?? fallback;
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

  function streamRun(request: FastifyRequest, reply: FastifyReply, runId: string, tenantId: string, startAfter: number): Promise<void> {
    return pumpStream(request, reply, {
      heartbeatMs: config.sseHeartbeatMs,
      recheckMs: config.streamRecheckMs,
      subscribe: (wake) => engine.store.notifier.on(`run:${runId}`, wake),
      read: async (after, limit) =>
        (await engine.events.runEvents(tenantId, runId, after, limit)).map((e) => ({ id: String(e.seq), event: e.type, data: e, cursor: e.seq, last: TERMINAL_EVENT_TYPES.has(e.type) })),
      start: startAfter,
      what: 'run event stream',
    });
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
      return pumpStream(request, reply, {
        heartbeatMs: config.sseHeartbeatMs,
        recheckMs: config.streamRecheckMs,
        subscribe: (wake) => engine.store.notifier.on(`tenant:${tenantId}`, wake),
        read: async (after, limit) => (await engine.events.tenantEvents(tenantId, after, filter, limit)).map((e) => ({ id: e.id, event: e.type, data: e, cursor: Number(e.id) })),
        start: resumeFrom(request, await engine.events.latestTenantEventId(tenantId)),
        what: 'tenant event stream',
      });
    },
  );
}

