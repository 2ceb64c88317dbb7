import type { FastifyInstance } from 'fastify';

export const OPENAPI_INFO = {
  title: 'agentd',
  version: '0.1.0',
  description: 'Durable runs, leases, events and streams for AI agents. Errors are always {"error":{"code","message","details","request_id"}}.',
};

export function openapiRoutes(app: FastifyInstance): void {
  app.get('/openapi.json', { config: { permission: 'any' }, schema: { hide: true } }, async () => app.swagger());
}
