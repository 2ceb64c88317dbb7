import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '@agentd/protocol';

export const OPENAPI_INFO = {
  title: 'agentd',
  version: '0.1.0',
  description: 'Durable runs, leases, events and streams for AI agents. Errors are always {"error":{"code","message","details","request_id"}}.',
};

/** The route-generated document plus the error-code registry, so clients can switch on codes. */
export function openApiDocument(app: FastifyInstance): Record<string, any> {
  const doc = structuredClone(app.swagger()) as unknown as Record<string, any>;
  doc.components ??= {};
  doc.components.schemas ??= {};
  doc.components.schemas.ErrorCode = {
    type: 'string',
    enum: Object.keys(ERROR_CODES),
    description: Object.entries(ERROR_CODES)
      .map(([code, v]) => `${code} (${v.status}): ${v.description}`)
      .join('\n'),
  };
  return doc;
}

export function openapiRoutes(app: FastifyInstance): void {
  app.get('/openapi.json', { config: { permission: 'any' }, schema: { hide: true } }, async () => openApiDocument(app));
}
