import type { RouteOptions } from 'fastify';
import { errors } from './error-responses.ts';

/** Methods whose bodies Fastify parses: any of them can meet a body too large or of the wrong type. */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * onRoute: declares in each operation the error statuses the framework can answer on any route,
 * whatever its handler does (the fuzz test holds every answer to the statuses declared): 400 (a
 * malformed URL, a value the schema refuses), 401/403 (authentication, role), 414 (a path
 * parameter over the router's limit), 413/415 (a body too large, a Content-Type not accepted),
 * 409/422 on a POST (an Idempotency-Key in flight, or reused with another body).
 */
export function declareFrameworkErrors(route: RouteOptions): void {
  const schema = route.schema as { response?: Record<string, unknown>; hide?: boolean } | undefined;
  if (!schema?.response || schema.hide) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const statuses = [400];
  if ((route.config as { permission?: string } | undefined)?.permission !== 'public') statuses.push(401, 403);
  if (route.url.includes(':')) statuses.push(414);
  if (methods.some((m) => BODY_METHODS.has(m))) statuses.push(413, 415);
  // Any authenticated POST may carry an Idempotency-Key: in flight (409), reused with another body (422).
  if (methods.includes('POST') && statuses.includes(401)) statuses.push(409, 422);
  for (const [status, ref] of Object.entries(errors(...statuses))) if (!Object.hasOwn(schema.response, status)) schema.response[status] = ref;
}
