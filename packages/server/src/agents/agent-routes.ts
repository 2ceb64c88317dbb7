import { parseManifestText } from '@agentd/protocol/manifest';
import { Agent, AgentDeleted, AgentDeployBody, AgentEndpointParams, AgentNameParams, AgentVersion, AgentVersionParams, LIST_LIMIT_DEFAULT, ListQuery, page } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { ApiError } from '../http/index.ts';
import { errors } from '../http/index.ts';

export function agentRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/agents',
    {
      config: { permission: 'agents:write' },
      schema: {
        tags: ['agents'],
        summary: 'Deploy a manifest (JSON, or YAML as application/yaml); each deploy is a new immutable version',
        body: AgentDeployBody,
        response: { 201: Agent, ...errors(400, 401, 403, 415, 422) },
      },
    },
    async (request, reply) => {
      let manifest: unknown = request.body;
      if (typeof manifest === 'string') {
        const parsed = parseManifestText(manifest);
        if (!parsed.ok) throw new ApiError('MANIFEST_INVALID', 'the manifest cannot be parsed', parsed.problems);
        manifest = parsed.value;
      }
      return idempotency.run(request, reply, 201, (record) => engine.agents.deploy(tenantOf(request), manifest, { record }));
    },
  );
  app.get(
    '/v1/agents',
    {
      config: { permission: 'read' },
      schema: { tags: ['agents'], summary: 'List agents', querystring: ListQuery, response: { 200: page(Agent), ...errors(401, 403) } },
    },
    async (request) => engine.agents.list(tenantOf(request), { limit: request.query.limit ?? LIST_LIMIT_DEFAULT, cursor: request.query.cursor }),
  );
  app.get(
    '/v1/agents/:name',
    { config: { permission: 'read' }, schema: { tags: ['agents'], summary: 'Get an agent (latest version)', params: AgentNameParams, response: { 200: Agent, ...errors(401, 403, 404) } } },
    async (request) => engine.agents.get(tenantOf(request), request.params.name),
  );
  app.get(
    '/v1/agents/:name/versions',
    {
      config: { permission: 'read' },
      schema: { tags: ['agents'], summary: "List an agent's versions", params: AgentNameParams, querystring: ListQuery, response: { 200: page(AgentVersion), ...errors(401, 403, 404) } },
    },
    async (request) => engine.agents.versions(tenantOf(request), request.params.name, { limit: request.query.limit ?? LIST_LIMIT_DEFAULT, cursor: request.query.cursor }),
  );
  app.get(
    '/v1/agents/:name/versions/:version',
    {
      config: { permission: 'read' },
      schema: { tags: ['agents'], summary: 'Get one version', params: AgentVersionParams, response: { 200: AgentVersion, ...errors(401, 403, 404) } },
    },
    async (request) => engine.agents.version(tenantOf(request), request.params.name, request.params.version),
  );
  app.delete(
    '/v1/agents/:name',
    {
      config: { permission: 'agents:write' },
      schema: { tags: ['agents'], summary: 'Delete an agent (runs already made keep their version)', params: AgentNameParams, response: { 200: AgentDeleted, ...errors(401, 403, 404) } },
    },
    async (request) => {
      const { name } = request.params;
      await engine.agents.delete(tenantOf(request), name);
      return { name, deleted: true };
    },
  );
  for (const action of ['enable', 'disable'] as const) {
    app.post(
      `/v1/agents/:name/endpoints/:endpoint/${action}`,
      {
        config: { permission: 'agents:write' },
        schema: {
          tags: ['agents'],
          summary: `${action === 'enable' ? 'Enable' : 'Disable'} one endpoint`,
          params: AgentEndpointParams,
          response: { 200: Agent, ...errors(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const p = request.params;
        return idempotency.run(request, reply, 200, (record) => engine.agents.setEndpointEnabled({ tenantId: tenantOf(request), agent: p.name, endpoint: p.endpoint, enabled: action === 'enable' }, { record }));
      },
    );
  }
}
