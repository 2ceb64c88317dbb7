import type { Role } from '@agentd/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../keys/index.ts';
import type { Engine } from '../engine.ts';
import { sendError } from './errors.ts';
import { sendRateLimited } from './rate-limit.ts';

/** What a route needs. Every route declares one; a route without one is refused to everybody. */
export type Permission =
  | 'public'
  | 'any'
  | 'read'
  | 'runs:write'
  | 'agents:write'
  | 'schedules:write'
  | 'keys:manage'
  | 'worker'
  | 'approvals:decide'
  | 'secrets:read'
  | 'secrets:manage'
  | 'audit:read'
  | 'webhooks:read'
  | 'webhooks:manage'
  | 'budgets:manage'
  | 'mcp:read'
  | 'mcp:manage'
  | 'config:reload';

/**
 * Secret metadata is readable by admins and developers; values are readable by nobody. The worker
 * protocol is for worker keys (scoped to their agents, see leases/worker-scope.ts) and admin keys
 * (so the quickstart needs one key); a developer key may not lease, and so never gets secrets.
 * Webhook subscriptions send the tenant's events to a URL: admins and developers manage them,
 * operators may also read them (URLs and delivery logs, never a signing secret). Budgets (the
 * tenant's and agents' spend limits) are set by admins only; anybody who may read sees them.
 * MCP servers give LLM agents tools: only admins register, delete and (re-)approve them, since
 * registering approves the tools it lists; developers and operators may read them.
 */
export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(['any', 'read', 'runs:write', 'agents:write', 'schedules:write', 'keys:manage', 'worker', 'approvals:decide', 'secrets:read', 'secrets:manage', 'audit:read', 'webhooks:read', 'webhooks:manage', 'mcp:read', 'mcp:manage', 'budgets:manage', 'config:reload']),
  developer: new Set(['any', 'read', 'runs:write', 'agents:write', 'schedules:write', 'secrets:read', 'webhooks:read', 'webhooks:manage', 'mcp:read']),
  operator: new Set(['any', 'read', 'runs:write', 'webhooks:read', 'mcp:read']),
  approver: new Set(['any', 'read', 'approvals:decide']),
  viewer: new Set(['any', 'read']),
  worker: new Set(['any', 'worker']),
};

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    permission?: Permission;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** onRequest hook: authenticate, then authorise against the route's declared permission. */
export function authHook(engine: Engine, limits: { badKey(request: FastifyRequest): number }) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    request.principal = null;
    const permission = request.routeOptions.config?.permission;
    if (permission === 'public') return undefined;
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? BEARER.exec(header) : null;
    const principal = m ? await engine.keys.authenticate(m[1]) : null;
    if (!principal) {
      // A valid key is never refused here, so clients sharing an address with a flooder keep working.
      const wait = m ? limits.badKey(request) : 0;
      if (wait > 0) return sendRateLimited(reply, request, 'auth_failures', wait, 'too many invalid API keys from this address');
      reply.header('www-authenticate', 'Bearer');
      return sendError(reply, request, 'UNAUTHORIZED', m ? 'the API key is not valid' : 'an API key is required: Authorization: Bearer <key>');
    }
    request.principal = principal;
    // Unknown routes reach here with no permission; they answer 404 from the not-found handler.
    if (!request.routeOptions.url) return undefined;
    if (!permission || !ROLE_PERMISSIONS[principal.role].has(permission)) {
      const hint = permission === 'worker' ? ': the worker protocol needs a worker key (agentd keys create --role worker --agents <agent>)' : '';
      return sendError(reply, request, 'FORBIDDEN', `role ${principal.role} may not do this${hint}`, { role: principal.role, needs: permission ?? null });
    }
    return undefined;
  };
}

export function tenantOf(request: FastifyRequest): string {
  if (!request.principal) throw new Error('route reached without a principal');
  return request.principal.tenantId;
}
