import { EmptyBody, LIST_LIMIT_DEFAULT, ListQuery, Run, Schedule, ScheduleCreate, ScheduleDeleted, ScheduleFire, ScheduleParams, ScheduleUpdate, page } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { ApiError, errors, tenantOf } from '../http/index.ts';

export function scheduleRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/schedules',
    {
      config: { permission: 'schedules:write' },
      schema: {
        tags: ['schedules'],
        summary: 'Create a schedule under a client-chosen id (the same id and definition again is a replay)',
        description:
          '201 when created. The same `id` with the same definition answers 200 with the schedule as it is; another definition is `409 SCHEDULE_CONFLICT` (`details.differs` names the fields). A cron or time zone that cannot be used is `422 SCHEDULE_INVALID`; the target and input are checked as creating a run checks them.',
        body: ScheduleCreate,
        response: { 200: Schedule, 201: Schedule, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      let created = true;
      return idempotency.run(
        request,
        reply,
        201,
        (record) =>
          engine.schedules.create(tenantOf(request), body, async (ctx, schedule, isNew) => {
            created = isNew;
            if (record) await record(ctx, schedule);
          }),
        { status: () => (created ? 201 : 200) },
      );
    },
  );
  app.get(
    '/v1/schedules',
    { config: { permission: 'read' }, schema: { tags: ['schedules'], summary: 'List schedules, newest first', querystring: ListQuery, response: { 200: page(Schedule), ...errors(400, 401, 403) } } },
    async (request) => engine.schedules.list(tenantOf(request), { limit: request.query.limit ?? LIST_LIMIT_DEFAULT, cursor: request.query.cursor }),
  );
  app.get(
    '/v1/schedules/:id',
    {
      config: { permission: 'read' },
      schema: { tags: ['schedules'], summary: 'Get a schedule with its next five fire times', params: ScheduleParams, response: { 200: Schedule, ...errors(401, 403, 404) } },
    },
    async (request) => engine.schedules.get(tenantOf(request), request.params.id),
  );
  app.patch(
    '/v1/schedules/:id',
    {
      config: { permission: 'schedules:write' },
      schema: {
        tags: ['schedules'],
        summary: 'Change a schedule (a new cron or time zone starts from now)',
        params: ScheduleParams,
        body: ScheduleUpdate,
        response: { 200: Schedule, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => engine.schedules.update(tenantOf(request), request.params.id, request.body),
  );
  app.delete(
    '/v1/schedules/:id',
    {
      config: { permission: 'schedules:write' },
      schema: { tags: ['schedules'], summary: 'Delete a schedule (the runs it made stay)', params: ScheduleParams, response: { 200: ScheduleDeleted, ...errors(401, 403, 404) } },
    },
    async (request) => {
      const { id } = request.params;
      await engine.schedules.delete(tenantOf(request), id);
      return { id, deleted: true };
    },
  );
  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/v1/schedules/:id/${action}`,
      {
        config: { permission: 'schedules:write' },
        schema: {
          tags: ['schedules'],
          summary: action === 'pause' ? 'Pause: no slot fires until resumed' : 'Resume: fires again from the next slot after now (the paused slots are not caught up)',
          params: ScheduleParams,
          body: EmptyBody,
          response: { 200: Schedule, ...errors(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        return idempotency.run(request, reply, 200, (record) => engine.schedules.setPaused(tenantOf(request), id, action === 'pause', { after: record }));
      },
    );
  }
  app.post(
    '/v1/schedules/:id/run',
    {
      config: { permission: 'schedules:write' },
      schema: {
        tags: ['schedules'],
        summary: "Run now: one run of the schedule's target and input, paused or not, whatever its overlap policy",
        params: ScheduleParams,
        body: EmptyBody,
        response: { 201: Run, ...errors(401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      return idempotency.run(request, reply, 201, (record) => engine.schedules.runNow(tenantOf(request), id, { after: record }));
    },
  );
  app.get(
    '/v1/schedules/:id/runs',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['schedules'],
        summary: "The schedule's slots, newest first: what each one did (started, skipped, buffered, failed) and its run",
        params: ScheduleParams,
        querystring: ListQuery,
        response: { 200: page(ScheduleFire), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => engine.schedules.fires(tenantOf(request), request.params.id, { limit: request.query.limit ?? LIST_LIMIT_DEFAULT, cursor: request.query.cursor }),
  );
}
