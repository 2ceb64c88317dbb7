import type { FastifyInstance } from 'fastify';
import { parseManifestText } from '@agentd/protocol/manifest';
import type { AppDeps } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { ApiError } from '../http/index.ts';
import { Agent, AgentVersion, ListQuery, Type, errors, page } from '../http/index.ts';

const NameParams = Type.Object({ name: Type.String({ maxLength: 63 }) });

export function agentRoutes(app: FastifyInstance, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/agents',
    {
      config: { permission: 'agents:write' },
      schema: {
        tags: ['agents'],
        summary: 'Deploy a manifest (JSON, or YAML as application/yaml); each deploy is a new immutable version',
        body: Type.Unknown({ description: 'An agent manifest; see the README for the format.' }),
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
      schema: { tags: ['agents'], summary: 'List agents', querystring: Type.Object(ListQuery, { additionalProperties: false }), response: { 200: page(Agent), ...errors(401, 403) } },
    },
    async (request) => {
      const q = request.query as { limit: number; cursor?: string };
      return engine.agents.list(tenantOf(request), q);
    },
  );
  app.get(
    '/v1/agents/:name',
    { config: { permission: 'read' }, schema: { tags: ['agents'], summary: 'Get an agent (latest version)', params: NameParams, response: { 200: Agent, ...errors(401, 403, 404) } } },
    async (request) => engine.agents.get(tenantOf(request), (request.params as { name: string }).name),
  );
  app.get(
    '/v1/agents/:name/versions',
    {
      config: { permission: 'read' },
      schema: { tags: ['agents'], summary: "List an agent's versions", params: NameParams, querystring: Type.Object(ListQuery, { additionalProperties: false }), response: { 200: page(AgentVersion), ...errors(401, 403, 404) } },
    },
    async (request) => engine.agents.versions(tenantOf(request), (request.params as { name: string }).name, request.query as { limit: number; cursor?: string }),
  );
  app.get(
    '/v1/agents/:name/versions/:version',
    {
      config: { permission: 'read' },
      schema: { tags: ['agents'], summary: 'Get one version', params: Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }) }), response: { 200: AgentVersion, ...errors(401, 403, 404) } },
    },
    async (request) => {
      const p = request.params as { name: string; version: number };
      return engine.agents.version(tenantOf(request), p.name, p.version);
    },
  );
  app.delete(
    '/v1/agents/:name',
    {
      config: { permission: 'agents:write' },
      schema: { tags: ['agents'], summary: 'Delete an agent (runs already made keep their version)', params: NameParams, response: { 200: Type.Object({ name: Type.String(), deleted: Type.Boolean() }), ...errors(401, 403, 404) } },
    },
    async (request) => {
      const { name } = request.params as { name: string };
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
          params: Type.Object({ name: Type.String(), endpoint: Type.String() }),
          response: { 200: Agent, ...errors(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const p = request.params as { name: string; endpoint: string };
        return idempotency.run(request, reply, 200, (record) => engine.agents.setEndpointEnabled({ tenantId: tenantOf(request), agent: p.name, endpoint: p.endpoint, enabled: action === 'enable' }, { record }));
      },
    );
  }
}
