import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { parseManifestText } from '@agentd/protocol/manifest';
import { DomainError } from '../core/index.ts';
import type { Engine } from '../engine.ts';
import { errors } from '../http/index.ts';
import { isObject } from './config-values.ts';

type Request = FastifyRequest<{ Params: Record<string, string>; Body: unknown }>;

/** A document's `metadata.name` (agents, workflows), JSON or YAML text. */
function documentName(req: Request): string | undefined {
  let body = req.body;
  if (typeof body === 'string') {
    const parsed = parseManifestText(body);
    body = parsed.ok ? parsed.value : undefined;
  }
  const name = isObject(body) && isObject(body.metadata) ? body.metadata.name : undefined;
  return typeof name === 'string' ? name : undefined;
}

const param = (name: string) => (req: Request) => req.params?.[name];

/**
 * The API writes that change a resource the config file may manage, by route: the section and
 * how the request names the resource (the id the API knows it by). Running one (a schedule's
 * `run`, a workflow's `runs`) is not a change and is not listed.
 */
const GUARDED: Record<string, { section: string; id: (req: Request) => string | undefined }> = {
  'POST /v1/agents': { section: 'agents', id: documentName },
  'DELETE /v1/agents/:name': { section: 'agents', id: param('name') },
  'POST /v1/agents/:name/endpoints/:endpoint/enable': { section: 'agents', id: param('name') },
  'POST /v1/agents/:name/endpoints/:endpoint/disable': { section: 'agents', id: param('name') },
  'POST /v1/workflows': { section: 'workflows', id: documentName },
  'DELETE /v1/workflows/:name': { section: 'workflows', id: param('name') },
  'POST /v1/schedules': { section: 'schedules', id: (req) => (isObject(req.body) && typeof req.body.id === 'string' ? req.body.id : undefined) },
  'PATCH /v1/schedules/:id': { section: 'schedules', id: param('id') },
  'DELETE /v1/schedules/:id': { section: 'schedules', id: param('id') },
  'POST /v1/schedules/:id/pause': { section: 'schedules', id: param('id') },
  'POST /v1/schedules/:id/resume': { section: 'schedules', id: param('id') },
  'PATCH /v1/webhooks/:id': { section: 'webhooks', id: param('id') },
  'DELETE /v1/webhooks/:id': { section: 'webhooks', id: param('id') },
  'POST /v1/webhooks/:id/rotate-secret': { section: 'webhooks', id: param('id') },
  'PATCH /v1/triggers/:id': { section: 'triggers', id: param('id') },
  'DELETE /v1/triggers/:id': { section: 'triggers', id: param('id') },
  'POST /v1/triggers/:id/rotate-secret': { section: 'triggers', id: param('id') },
  'POST /v1/secrets': { section: 'secrets', id: (req) => (isObject(req.body) && typeof req.body.name === 'string' ? req.body.name : undefined) },
  'POST /v1/secrets/:name/rotate': { section: 'secrets', id: param('name') },
  'DELETE /v1/secrets/:name': { section: 'secrets', id: param('name') },
  'DELETE /v1/grants/:id': { section: 'grants', id: param('id') },
  'DELETE /v1/keys/:id': { section: 'keys', id: param('id') },
};

/** The header that takes a managed resource out of the file's hands. */
export const TAKEOVER_HEADER = 'agentd-takeover';

/** Whether a route (`METHOD /url` of one of its methods) writes what the config file may manage. */
export function isManagedRoute(method: string, url: string): boolean {
  return Object.hasOwn(GUARDED, `${method} ${url}`);
}

/** onRoute: the guarded routes document the 409 MANAGED_BY_CONFIG they may answer. */
export function declareManagedConflicts(route: RouteOptions): void {
  const schema = route.schema as { response?: Record<string, unknown> } | undefined;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (!schema?.response || !methods.some((m) => GUARDED[`${m} ${route.url}`])) return;
  for (const [status, ref] of Object.entries(errors(409))) if (!Object.hasOwn(schema.response, status)) schema.response[status] = ref;
}

/**
 * preHandler: a write to a resource the config file manages is refused with 409
 * MANAGED_BY_CONFIG (change the file and reload instead), unless the request says
 * `Agentd-Takeover: true`: then the resource is no longer managed (its row goes) and the write
 * goes on. The next reload takes it back if the file still lists it.
 */
export function managedGuard(engine: Engine) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const guard = Object.hasOwn(GUARDED, `${request.method} ${request.routeOptions.url}`) ? GUARDED[`${request.method} ${request.routeOptions.url}`] : undefined;
    if (!guard || !request.principal) return;
    const id = guard.id(request as Request);
    if (id === undefined) return;
    const tenantId = request.principal.tenantId;
    const row = await engine.configResources.find(tenantId, guard.section, id);
    if (!row) return;
    if (String(request.headers[TAKEOVER_HEADER] ?? '').toLowerCase() === 'true') {
      await engine.configResources.release(tenantId, guard.section, id);
      return;
    }
    throw new DomainError('MANAGED_BY_CONFIG', `${guard.section}/${row.name} is managed by the config file: change the file and reload (agentd reload), or send "Agentd-Takeover: true" to take it over`, {
      section: guard.section,
      name: row.name,
      id,
    });
  };
}
