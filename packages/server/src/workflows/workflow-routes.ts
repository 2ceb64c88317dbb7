import { IdParams, LIST_LIMIT_DEFAULT, ListQuery, Run, Workflow, WorkflowRetry, WorkflowRunCreate, WorkflowDeleted, WorkflowDeployBody, WorkflowNameParams, WorkflowVersion, WorkflowVersionParams, page } from '@agentd/protocol/schemas';
import { parseWorkflowText } from '@agentd/protocol/workflow';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { ApiError, errors, tenantOf } from '../http/index.ts';

/** `/v1/workflows`: definitions, deployed and read like agents (same permissions). */
export function workflowRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/workflows',
    {
      config: { permission: 'agents:write' },
      schema: {
        tags: ['workflows'],
        summary: 'Deploy a workflow definition (JSON, or YAML as application/yaml); a changed definition is a new immutable version, the same one is not',
        body: WorkflowDeployBody,
        response: { 201: Workflow, ...errors(400, 401, 403, 415, 422) },
      },
    },
    async (request, reply) => {
      let definition: unknown = request.body;
      if (typeof definition === 'string') {
        const parsed = parseWorkflowText(definition);
        if (!parsed.ok) throw new ApiError('WORKFLOW_INVALID', 'the workflow definition cannot be parsed', parsed.problems);
        definition = parsed.value;
      }
      return idempotency.run(request, reply, 201, (record) => engine.workflows.deploy(tenantOf(request), definition, { record }));
    },
  );
  app.post(
    '/v1/workflows/:name/runs',
    {
      config: { permission: 'runs:write' },
      schema: {
        tags: ['workflows'],
        summary: "Start a workflow (its latest version): answers the workflow's run (kind workflow), created running with its first steps started",
        params: WorkflowNameParams,
        body: WorkflowRunCreate,
        response: { 201: Run, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => idempotency.run(request, reply, 201, (record) => engine.workflowRuns.start(tenantOf(request), request.params.name, request.body, { record })),
  );
  app.post(
    '/v1/runs/:id/retry',
    {
      config: { permission: 'runs:write' },
      schema: {
        tags: ['workflows'],
        summary: 'Retry a failed workflow run from its failed steps: answers a new workflow run that keeps the succeeded steps\' outputs',
        description:
          'For a workflow run that ended failed, cancelled or timed out (else 409 RUN_NOT_RETRYABLE). The new run (same workflow version, input, metadata and priority; `run.queued` data `retry_of`) starts with the old run\'s succeeded and skipped steps, and the succeeded items of an unfinished for_each step, copied with their outputs; only the rest runs. `deadline`: the new run\'s, none when not given.',
        params: IdParams,
        body: WorkflowRetry,
        response: { 201: Run, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => idempotency.run(request, reply, 201, (record) => engine.workflowRetries.retry(tenantOf(request), request.params.id, request.body, { record })),
  );
  app.get(
    '/v1/workflows',
    { config: { permission: 'read' }, schema: { tags: ['workflows'], summary: 'List workflows (latest versions), newest first', querystring: ListQuery, response: { 200: page(Workflow), ...errors(400, 401, 403) } } },
    async (request) => engine.workflows.list(tenantOf(request), { limit: request.query.limit ?? LIST_LIMIT_DEFAULT, cursor: request.query.cursor }),
  );
  app.get(
    '/v1/workflows/:name',
    { config: { permission: 'read' }, schema: { tags: ['workflows'], summary: 'Get a workflow (latest version)', params: WorkflowNameParams, response: { 200: Workflow, ...errors(401, 403, 404) } } },
    async (request) => engine.workflows.get(tenantOf(request), request.params.name),
  );
  app.get(
    '/v1/workflows/:name/versions',
    {
      config: { permission: 'read' },
      schema: { tags: ['workflows'], summary: "List a workflow's versions, newest first", params: WorkflowNameParams, querystring: ListQuery, response: { 200: page(WorkflowVersion), ...errors(401, 403, 404) } },
    },
    async (request) => engine.workflows.versions(tenantOf(request), request.params.name, { limit: request.query.limit ?? LIST_LIMIT_DEFAULT, cursor: request.query.cursor }),
  );
  app.get(
    '/v1/workflows/:name/versions/:version',
    { config: { permission: 'read' }, schema: { tags: ['workflows'], summary: 'Get one version of a workflow', params: WorkflowVersionParams, response: { 200: WorkflowVersion, ...errors(401, 403, 404) } } },
    async (request) => {
      return engine.workflows.version(tenantOf(request), request.params.name, request.params.version);
    },
  );
  app.delete(
    '/v1/workflows/:name',
    { config: { permission: 'agents:write' }, schema: { tags: ['workflows'], summary: 'Delete a workflow (its versions are kept)', params: WorkflowNameParams, response: { 200: WorkflowDeleted, ...errors(401, 403, 404) } } },
    async (request) => {
      const { name } = request.params;
      await engine.workflows.delete(tenantOf(request), name);
      return { name, deleted: true };
    },
  );
}
