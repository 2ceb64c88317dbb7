import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEntry } from './audit-service.ts';
import type { Engine } from '../engine.ts';
import { hashKey } from '../keys/index.ts';
import { attachRouteHook, routeMethods } from '../http/index.ts';

/** What the response said that the audit row wants, read before it is sent (onResponse sees no body). */
interface ResponseNote {
  errorCode?: string;
  /** The id (or name) of what a create made: the target of a route without params. */
  createdId?: string;
  /** How many items a batch answer holds. */
  count?: number;
  /** A worker long-poll that leased nothing. */
  emptyLease?: boolean;
}

/** Who acted, when no API key says so: a public route that authenticates by other means sets it. */
export interface AuditActor {
  tenantId: string;
  /** Recorded as `actor`, e.g. `link:<jti prefix>` for a signed decision link. */
  actor: string;
  role: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    auditNote: ResponseNote | null;
    /**
     * Set by a public route once it knows the tenant (a signed link's claims), so its request is
     * audited like a keyed one. Without it, a request with no API key has no tenant to file under.
     */
    auditActor: AuditActor | null;
  }
}

const MUTATING: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Successful calls of these are not recorded. A worker heartbeats every third of its lease TTL
 * and appends events in bursts (every streamed token batch), per run: recording them would make
 * the audit trail mostly noise and put one more write behind every one of them. What they do is
 * already durable and attributable elsewhere (the run's events, `lease_expires_at`). Denied calls
 * of them are still recorded; completions, failures and releases are recorded like any route.
 */
const HIGH_VOLUME: ReadonlySet<string> = new Set([
  'POST /v1/leases/:lease_id/heartbeat',
  'POST /v1/leases/:lease_id/events',
  // A waiting worker re-polls every 20 s; what its wait consumed is on the signal's row (consumed_at, consumed_by) and in the run's events.
  'POST /v1/leases/:lease_id/signals/:name/wait',
]);

/** An idle worker long-polls over and over; an empty poll changed nothing, so it is not recorded. */
const LEASE_POLL = 'POST /v1/worker/lease';
const EMPTY_LEASE_BODY = '{"tasks":[]}';

/** Bodies bigger than this are not parsed for an id or a count (a batch of a thousand runs). */
const MAX_NOTE_PAYLOAD = 64 * 1024;

/** Route params that could carry a credential (a signed link's token) are never stored. */
const SENSITIVE_PARAM = /token|secret|signature|password|jwt/i;

/** `runs` → `run`, `leases` → `lease`; words that only look plural are listed. */
const SINGULAR: Record<string, string> = { audit: 'audit', status: 'status' };
const singular = (collection: string): string => SINGULAR[collection] ?? (collection.endsWith('s') ? collection.slice(0, -1) : collection);

export function outcomeOf(status: number): 'ok' | 'denied' | 'error' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401 || status === 403) return 'denied';
  return 'error';
}

/**
 * What a request acted on, from its route pattern: the first `:param` names the target and the
 * segment before it its type (`/v1/runs/:id/cancel` → run, id). A route without params targets
 * its collection (`/v1/runs` → run), with the id of what it created when the answer says.
 */
export function targetOf(routeUrl: string, params: Record<string, unknown>): { type: string | null; id: string | null; extra: Record<string, string> } {
  const segments = routeUrl.split('/').filter(Boolean);
  const first = segments.findIndex((s) => s.startsWith(':'));
  const extra: Record<string, string> = {};
  segments.forEach((s, i) => {
    if (!s.startsWith(':') || i === first) return;
    const name = s.slice(1);
    extra[name] = SENSITIVE_PARAM.test(name) ? '[redacted]' : String(params[name] ?? '');
  });
  if (first > 0) {
    const name = segments[first].slice(1);
    const value = SENSITIVE_PARAM.test(name) ? '[redacted]' : String(params[name] ?? '');
    return { type: singular(segments[first - 1]), id: value, extra };
  }
  const collection = segments[1];
  // `/v1/worker/*` acts on whatever it leases or completes; the body says, and bodies are not read.
  return { type: collection && collection !== 'worker' ? singular(collection) : null, id: null, extra };
}

function noteFromPayload(request: FastifyRequest, reply: FastifyReply, payload: unknown): ResponseNote | null {
  if (typeof payload !== 'string') return null;
  if (payload === EMPTY_LEASE_BODY && reply.statusCode < 300 && routeKey(request) === LEASE_POLL) return { emptyLease: true };
  if (payload.length > MAX_NOTE_PAYLOAD) return null;
  try {
    return noteFromBody(request, reply.statusCode, JSON.parse(payload));
  } catch {
    return null; // not JSON (an SSE body, a YAML echo): nothing to note, and nothing to fail
  }
}

/** The note from the answer's body as the handler returned it (before it became JSON text). */
function noteFromBody(request: FastifyRequest, status: number, payload: unknown): ResponseNote | null {
  if (!payload || typeof payload !== 'object') return null;
  const body = payload as Record<string, unknown>;
  if (status >= 400) {
    const code = (body.error as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? { errorCode: code } : null;
  }
  const note: ResponseNote = {};
  // Only these two fields are taken: a created key's answer also holds the key itself.
  const id = typeof body.id === 'string' ? body.id : typeof body.name === 'string' ? body.name : undefined;
  if (id !== undefined) note.createdId = id;
  const list = Array.isArray(body.data) ? body.data : Array.isArray(body.results) ? body.results : Array.isArray(body.tasks) ? body.tasks : undefined;
  if (list) {
    note.count = list.length;
    if (list.length === 0 && status < 300 && routeKey(request) === LEASE_POLL) note.emptyLease = true;
  }
  return note;
}

const routeKey = (request: FastifyRequest): string => `${request.method} ${request.routeOptions.url ?? ''}`;

/**
 * Records every mutating request in the audit trail after its response is sent: who (key, role),
 * what (`METHOD /route/{pattern}`), the target, the outcome and status, the request id. Never a
 * body, a key or a secret. Writes are group-committed in the background: a request never waits on
 * its audit row, and a failed audit write is logged, never turned into a failed request.
 */
export function registerAuditHooks(app: FastifyInstance, engine: Engine): void {
  app.decorateRequest('auditNote', null);
  app.decorateRequest('auditActor', null);
  // Only mutating routes are audited: their hooks are theirs alone (a read pays for none).
  app.addHook('onRoute', (route) => {
    if (!routeMethods(route).some((m) => MUTATING.has(m))) return;
    // Objects are read before serialization (no parse); what arrives as text is read in onSend.
    attachRouteHook(route, 'preSerialization', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (MUTATING.has(request.method)) request.auditNote = noteFromBody(request, reply.statusCode, payload);
      return payload;
    });
    attachRouteHook(route, 'onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (request.auditNote === null && MUTATING.has(request.method)) request.auditNote = noteFromPayload(request, reply, payload);
      return payload;
    });
    attachRouteHook(route, 'onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!MUTATING.has(request.method)) return;
      const outcome = outcomeOf(reply.statusCode);
      const key = routeKey(request);
      if (outcome !== 'denied' && (HIGH_VOLUME.has(key) || (key === LEASE_POLL && request.auditNote?.emptyLease))) return;
      engine.audit.recordInBackground(entryFor(engine, request, reply, outcome), (err) => request.log.error({ err }, 'could not write the audit record'));
    });
  });
}

/** The entry, once the actor is known: a revoked key's 401 is attributed to that key's tenant. */
async function entryFor(engine: Engine, request: FastifyRequest, reply: FastifyReply, outcome: 'ok' | 'denied' | 'error'): Promise<AuditEntry | null> {
  const status = reply.statusCode;
  const replayed = reply.getHeader('idempotent-replayed') === 'true';
  let principal: { tenantId: string; keyId: string; role: string | null } | null = request.principal
    ? { tenantId: request.principal.tenantId, keyId: request.principal.keyId, role: request.principal.role }
    : request.auditActor
      ? { tenantId: request.auditActor.tenantId, keyId: request.auditActor.actor, role: request.auditActor.role }
      : null;
  const details: Record<string, unknown> = {};
  if (!principal && status === 401) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const owner = m ? await engine.audit.keyOwner(hashKey(m[1])) : null;
    principal = owner;
    if (owner) details.reason = owner.expired ? 'key_expired' : 'key_revoked';
  }
  if (!principal) return null; // no tenant to file it under: an unknown key or none
  const route = request.routeOptions.url!;
  const target = targetOf(route, (request.params ?? {}) as Record<string, unknown>);
  const note = request.auditNote;
  if (Object.keys(target.extra).length > 0) details.params = target.extra;
  if (note?.errorCode) details.error_code = note.errorCode;
  if (note?.count !== undefined) details.count = note.count;
  if (replayed) details.idempotent_replayed = true;
  return {
    tenantId: principal.tenantId,
    actor: principal.keyId,
    actorRole: principal.role,
    action: `${request.method} ${route.replace(/:([A-Za-z_]+)/g, '{$1}')}`,
    targetType: target.type,
    targetId: target.id ?? (outcome === 'ok' && note?.createdId !== undefined ? note.createdId : null),
    outcome,
    statusCode: status,
    requestId: request.id,
    details,
  };
}
