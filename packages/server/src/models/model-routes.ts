import { ModelList } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { errors } from '../http/index.ts';

/** `GET /v1/models`: the model aliases LLM agents may name, with provider, model and prices. */
export function modelRoutes(app: RouteApp, { engine }: AppDeps): void {
  app.get(
    '/v1/models',
    {
      config: { permission: 'read' },
      schema: { tags: ['models'], summary: 'List the model aliases of this server (never a key or credential)', response: { 200: ModelList, ...errors(401, 403) } },
    },
    async () => ({ data: engine.modelAliases.list() }),
  );
}
