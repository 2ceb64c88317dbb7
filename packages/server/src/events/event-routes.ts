import type { FastifyReply, FastifyRequest } from 'fastify';
import { TERMINAL_EVENT_TYPES } from '@agentd/protocol';
import { EVENT_PAGE_DEFAULT, EventPage, RunEventsParams, RunEventsQuery, TenantEventsQuery } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { errors } from '../http/index.ts';
import { pumpStream, resumeCursor, wantsJson } from '../http/index.ts';

/** The resume point: `Last-Event-ID` wins over `?after=`. */
function resumeFrom(request: FastifyRequest, after: string | undefined, fallback: number): number {
  return resumeCursor(request, after, 'after') ?? fallback;
}

const SSE_DOC = 'With Accept: text/event-stream (default) an SSE stream: id = seq, event = type, data = the event JSON. With Accept: application/json, a page.';

export function eventRoutes(app: RouteApp, { engine, config }: AppDeps): void {
  app.get(
    '/v1/runs/:id/events',
    {
      config: { permission: 'read' },
      schema: { tags: ['events'], summary: "A run's events", description: SSE_DOC, params: RunEventsParams, querystring: RunEventsQuery, response: { 200: EventPage, ...errors(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const runId = request.params.id;
      const after = resumeFrom(request, request.query.after, 0);
      await engine.events.runInfo(tenantId, runId); // 404 before any stream starts
      if (wantsJson(request)) {
        const limit = request.query.limit ?? EVENT_PAGE_DEFAULT;
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
      const q = request.query;
      const filter = { agent: q.agent, run: q.run, type: q.type, root: q.root };
      if (wantsJson(request)) {
        const limit = q.limit ?? EVENT_PAGE_DEFAULT;
        const data = await engine.events.tenantEvents(tenantId, resumeFrom(request, q.after, 0), filter, limit);
        return { data, next_cursor: data.length === limit ? data[data.length - 1].id : null };
      }
      return pumpStream(request, reply, {
        heartbeatMs: config.sseHeartbeatMs,
        recheckMs: config.streamRecheckMs,
        subscribe: (wake) => engine.store.notifier.on(`tenant:${tenantId}`, wake),
        read: async (after, limit) => (await engine.events.tenantEvents(tenantId, after, filter, limit)).map((e) => ({ id: e.id, event: e.type, data: e, cursor: Number(e.id) })),
        start: resumeFrom(request, q.after, await engine.events.latestTenantEventId(tenantId)),
        what: 'tenant event stream',
      });
    },
  );
}

