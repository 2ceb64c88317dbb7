import { IdParams, LIST_LIMIT_DEFAULT, Session, SessionCreate, SessionDeleted, SessionEnd, SessionEventsQuery, SessionFork, SessionListQuery, SessionMessageAccepted, SessionMessageCreate, SessionMessagePage, SessionMessagesQuery, SessionPage, EventPage, EVENT_PAGE_DEFAULT } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { errors, pumpStream, resumeCursor, tenantOf, wantsJson } from '../http/index.ts';

const tags = ['sessions'];

export function sessionRoutes(app: RouteApp, { engine, idempotency, config }: AppDeps): void {
  const sessions = engine.sessions;
  app.post(
    '/v1/sessions',
    { config: { permission: 'runs:write' }, schema: { tags, summary: 'Create a session', body: SessionCreate, response: { 201: Session, ...errors(400, 401, 403, 404, 422) } } },
    async (request, reply) => idempotency.run(request, reply, 201, (record) => sessions.create(tenantOf(request), request.body, { after: record })),
  );
  app.get(
    '/v1/sessions',
    { config: { permission: 'read' }, schema: { tags, summary: 'List sessions, newest first', querystring: SessionListQuery, response: { 200: SessionPage, ...errors(400, 401, 403) } } },
    async (request) => {
      const q = request.query;
      return sessions.list(tenantOf(request), { agent: q.agent, status: q.status, limit: q.limit ?? LIST_LIMIT_DEFAULT, cursor: q.cursor });
    },
  );
  app.get(
    '/v1/sessions/:id',
    { config: { permission: 'read' }, schema: { tags, summary: 'Get a session', params: IdParams, response: { 200: Session, ...errors(401, 403, 404) } } },
    async (request) => sessions.get(tenantOf(request), request.params.id),
  );
  app.delete(
    '/v1/sessions/:id',
    { config: { permission: 'runs:write' }, schema: { tags, summary: 'Delete a session and its history', description: 'Its live runs are cancelled first; the runs themselves stay.', params: IdParams, response: { 200: SessionDeleted, ...errors(401, 403, 404) } } },
    async (request) => sessions.delete(tenantOf(request), request.params.id),
  );
  app.get(
    '/v1/sessions/:id/messages',
    { config: { permission: 'read' }, schema: { tags, summary: "A session's history, oldest first", params: IdParams, querystring: SessionMessagesQuery, response: { 200: SessionMessagePage, ...errors(400, 401, 403, 404) } } },
    async (request) => sessions.messages(tenantOf(request), request.params.id, { limit: request.query.limit ?? 100, cursor: request.query.cursor }),
  );
  app.post(
    '/v1/sessions/:id/messages',
    {
      config: { permission: 'runs:write' },
      schema: {
        tags,
        summary: 'Send a message: a run of the session\'s endpoint',
        description:
          'One message is in flight at a time. While one is, `multitask` says what this one does: `reject` (default) answers 409 SESSION_BUSY, `enqueue` runs it after the messages before it, `interrupt` cancels the one in flight (keeping what it streamed as a partial reply) and runs this one. A paused session answers 409 SESSION_PAUSED, an ended one 410 SESSION_ENDED. The reply streams as the run\'s events.',
        params: IdParams,
        body: SessionMessageCreate,
        response: { 201: SessionMessageAccepted, ...errors(400, 401, 403, 404, 409, 410, 422) },
      },
    },
    async (request, reply) => idempotency.run(request, reply, 201, (record) => sessions.send(tenantOf(request), request.params.id, request.body, { after: record })),
  );
  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/v1/sessions/:id/${action}`,
      {
        config: { permission: 'runs:write' },
        schema: {
          tags,
          summary: action === 'pause' ? 'Pause a session: no new messages until resumed (the one in flight finishes)' : 'Resume a paused session',
          params: IdParams,
          response: { 200: Session, ...errors(401, 403, 404, 410) },
        },
      },
      async (request, reply) => idempotency.run(request, reply, 200, (record) => sessions[action](tenantOf(request), request.params.id, { after: record })),
    );
  }
  app.post(
    '/v1/sessions/:id/end',
    { config: { permission: 'runs:write' }, schema: { tags, summary: 'End a session for good (its live runs are cancelled)', params: IdParams, body: SessionEnd, response: { 200: Session, ...errors(401, 403, 404, 410) } } },
    async (request, reply) => idempotency.run(request, reply, 200, (record) => sessions.end(tenantOf(request), request.params.id, { reason: request.body?.reason, after: record })),
  );
  app.post(
    '/v1/sessions/:id/fork',
    { config: { permission: 'runs:write' }, schema: { tags, summary: 'Fork a session at a message', description: 'A new active session whose history is a copy of this one up to `message_id` (default: the newest message).', params: IdParams, body: SessionFork, response: { 201: Session, ...errors(401, 403, 404) } } },
    async (request, reply) => idempotency.run(request, reply, 201, (record) => sessions.fork(tenantOf(request), request.params.id, request.body ?? {}, { after: record })),
  );
  app.get(
    '/v1/sessions/:id/events',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: "A session's events, across its messages",
        description: 'With Accept: text/event-stream (default) an SSE stream of every event of the session\'s runs, from the first (or after `Last-Event-ID` / `?after=`): id = the tenant-wide event id, event = type, data = the event JSON. It stays open for the next messages. With Accept: application/json, a page.',
        params: IdParams,
        querystring: SessionEventsQuery,
        response: { 200: EventPage, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const id = request.params.id;
      await sessions.exists(tenantId, id);
      const after = resumeCursor(request, request.query.after, 'after') ?? 0;
      if (wantsJson(request)) {
        const limit = request.query.limit ?? EVENT_PAGE_DEFAULT;
        const data = await sessions.events(tenantId, id, after, limit);
        return { data, next_cursor: data.length === limit ? data[data.length - 1].id : null };
      }
      return pumpStream(request, reply, {
        heartbeatMs: config.sseHeartbeatMs,
        recheckMs: config.streamRecheckMs,
        subscribe: (wake) => engine.store.notifier.on(`tenant:${tenantId}`, wake),
        read: async (a, limit) => (await sessions.events(tenantId, id, a, limit)).map((e) => ({ id: e.id, event: e.type, data: e, cursor: Number(e.id) })),
        start: after,
        what: 'session event stream',
      });
    },
  );
}
