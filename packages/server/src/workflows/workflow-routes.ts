import type { FastifyInstance } from 'fastify';
import { Workflow, WorkflowDeleted, WorkflowNameParams, WorkflowVersion, WorkflowVersionParams } from '@agentd/protocol';
import { parseWorkflowText } from '@agentd/protocol/workflow';
import type { AppDeps } from '../http/index.ts';
import { ApiError, ListQuery, Type, errors, page, tenantOf } from '../http/index.ts';

const List = Type.Object(ListQuery, { additionalProperties: false });

/** `/v1/workflows`: definitions, deployed and read like agents (same permissions). */
export function workflowRoutes(app: FastifyInstance, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/workflows',
    {
      config: { permission: 'agents:write' },
      schema: {
        tags: ['workflows'],
        summary: 'Deploy a workflow definition (JSON, or YAML as application/yaml); a changed definition is a new immutable version, the same one is not',
        body: Type.Unknown({ description: 'A workflow definition (kind: Workflow); see the README for the format.' }),
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
      return idempotency.run(request, reply, 201, (record) => engine.workflows.deploy(tenantOf(request), definition, record));
    },
  );
  app.get(
    '/v1/workflows',
    { config: { permission: 'read' }, schema: { tags: ['workflows'], summary: 'List workflows (latest versions), newest first', querystring: List, response: { 200: page(Workflow), ...errors(400, 401, 403) } } },
    async (request) => engine.workflows.list(tenantOf(request), request.query as { limit: number; cursor?: string }),
  );
  app.get(
    '/v1/workflows/:name',
    { config: { permission: 'read' }, schema: { tags: ['workflows'], summary: 'Get a workflow (latest version)', params: WorkflowNameParams, response: { 200: Workflow, ...errors(401, 403, 404) } } },
    async (request) => engine.workflows.get(tenantOf(request), (request.params as { name: string }).name),
  );
  app.get(
    '/v1/workflows/:name/versions',
    {
      config: { permission: 'read' },
      schema: { tags: ['workflows'], summary: "List a workflow's versions, newest first", params: WorkflowNameParams, querystring: List, response: { 200: page(WorkflowVersion), ...errors(401, 403, 404) } },
    },
    async (request) => engine.workflows.versions(tenantOf(request), (request.params as { name: string }).name, request.query as { limit: number; cursor?: string }),
  );
  app.get(
    '/v1/workflows/:name/versions/:version',
    { config: { permission: 'read' }, schema: { tags: ['workflows'], summary: 'Get one version of a workflow', params: WorkflowVersionParams, response: { 200: WorkflowVersion, ...errors(401, 403, 404) } } },
    async (request) => {
      const p = request.params as { name: string; version: number };
      return engine.workflows.version(tenantOf(request), p.name, p.version);
    },
  );
  app.delete(
    '/v1/workflows/:name',
    { config: { permission: 'agents:write' }, schema: { tags: ['workflows'], summary: 'Delete a workflow (its versions are kept)', params: WorkflowNameParams, response: { 200: WorkflowDeleted, ...errors(401, 403, 404) } } },
    async (request) => {
      const { name } = request.params as { name: string };
      await engine.workflows.delete(tenantOf(request), name);
      return { name, deleted: true };
    },
  );
}
