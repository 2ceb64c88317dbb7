import type { FastifyRequest } from 'fastify';
import type { Engine } from '../engine.ts';
import { ApiError, tenantOf } from '../http/index.ts';
import { mayServe, servesEveryAgent, type KeyScope } from '../keys/index.ts';
import { TtlCache } from '../core/index.ts';
import { leaseAttempts } from '../runs/index.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A worker route that names its agent in the body and checks it itself (lease, batched completion). */
    agentInBody?: true;
  }
}

const forbidden = (scope: KeyScope, agent: string) =>
  new ApiError('FORBIDDEN', `this key may not serve agent ${JSON.stringify(agent)}`, { agent, agents: scope.agents ?? [] });

/** Refuses (403 FORBIDDEN) a key that may not serve `agent`: the lease routes call it with the body's agent. */
export function assertMayServe(scope: KeyScope, agent: string): void {
  if (!mayServe(scope, agent)) throw forbidden(scope, agent);
}

/**
 * How long a lease's agent is remembered. A lease names one run and a run's agent never changes,
 * so any TTL is correct; the cache only spares a scoped worker's heartbeats and events a read each.
 */
const LEASE_AGENT_TTL_MS = 60_000;

/**
 * The agent of each lease this tenant issued (live or not), from the attempt the lease began
 * (open on its run row, or ended: runs/'s leaseAttempts).
 * A lease of another tenant, or none at all, is absent: the call itself then answers 404, so
 * this check tells nobody that a lease exists elsewhere.
 */
export class LeaseAgents {
  readonly #engine: Engine;
  readonly #cache = new TtlCache<string>({ ttlMs: LEASE_AGENT_TTL_MS });

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  async of(tenantId: string, leaseIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(leaseIds)) {
      const agent = this.#cache.get(`${tenantId}\u0000${id}`);
      if (agent === undefined) missing.push(id);
      else found.set(id, agent);
    }
    if (missing.length === 0) return found;
    const rows = await leaseAttempts(this.#engine.store.db, this.#engine.store.queries, tenantId, missing);
    for (const r of rows) {
      this.#cache.set(`${tenantId}\u0000${r.lease_id}`, r.agent);
      found.set(r.lease_id, r.agent);
    }
    return found;
  }
}

/**
 * preHandler hook: a worker key serves only the agents it names, on every lease-scoped call too.
 * A route with permission `worker` and a `lease_id` parameter is checked here against the lease's
 * run's agent (a run's agent never changes, so checking before the call is as good as inside it).
 * Any other worker route must declare `agentInBody` and check its body itself; one that does
 * neither is closed to agent-scoped keys, so a new route cannot forget the check.
 * Admin keys and `["*"]` worker keys serve every agent: no lookup, nothing added to their path.
 */
export function workerScopeHook(engine: Engine) {
  const leaseAgents = new LeaseAgents(engine);
  return async (request: FastifyRequest): Promise<void> => {
    const config = request.routeOptions.config;
    const principal = request.principal;
    if (config?.permission !== 'worker' || !principal || servesEveryAgent(principal)) return;
    const leaseId = (request.params as { lease_id?: unknown } | undefined)?.lease_id;
    if (typeof leaseId === 'string') {
      const agent = (await leaseAgents.of(tenantOf(request), [leaseId])).get(leaseId);
      if (agent !== undefined && !mayServe(principal, agent)) throw forbidden(principal, agent);
      return;
    }
    if (config.agentInBody) return;
    throw new ApiError('FORBIDDEN', 'this worker route is not open to agent-scoped keys', { agents: principal.agents ?? [] });
  };
}

/** A batched completion's item for a lease of an agent the key may not serve: refused alone, like any item. */
export function forbiddenResult(scope: KeyScope, leaseId: string, agent: string): { lease_id: string; ok: false; error: { code: string; message: string; details: unknown } } {
  const err = forbidden(scope, agent);
  return { lease_id: leaseId, ok: false, error: { code: err.code, message: err.message, details: err.details } };
}
