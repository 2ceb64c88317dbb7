import type { RunFailure, Task } from '@agentd/protocol';
import { precompiled, type Store } from '../store/index.ts';
import type { SecretVersionsTable } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { AuditEntry, AuditService } from '../audit/index.ts';
import type { Clock } from '../core/index.ts';
import type { LeaseService } from '../leases/index.ts';
import { leaseAttempts } from '../runs/index.ts';
import { ScrubberCache } from './scrubber-cache.ts';
import { noScrubbing, type ScrubEntry, type Scrubber } from './secret-scrubber.ts';
import type { SecretService } from './secret-service.ts';
import { receivesSecrets, secretsWithheld, type KeyScope } from '../keys/index.ts';

/** The versions of every secret granted to `agents` by a grant live at `earliest` or later (compiled once per number of agents). */
const GRANTED_VERSIONS = precompiled(
  (db, p: { tenantId: string; agents: string[]; earliest: number }) =>
    db
      .selectFrom('grants as g')
      .innerJoin('secret_versions as v', (j) => j.onRef('v.tenant_id', '=', 'g.tenant_id').onRef('v.name', '=', 'g.secret'))
      .select(['g.agent as grant_agent', 'g.endpoint as grant_endpoint', 'g.revoked_at as grant_revoked_at'])
      .selectAll('v')
      .where('g.tenant_id', '=', p.tenantId)
      .where('g.agent', 'in', p.agents)
      .where((eb) => eb.or([eb('g.revoked_at', 'is', null), eb('g.revoked_at', '>=', p.earliest)])),
);

/** Who leased the tasks: what decides whether they carry secrets, and the audit trail's actor. */
export interface DeliveryRequest {
  tenantId: string;
  tasks: Task[];
  /** The key that took the leases. Only a worker key naming the task's agent receives its secrets. */
  recipient: KeyScope;
  actor: string | null;
  actorRole: string | null;
  requestId: string | null;
}

/** What a scrubber is built from: the lease, the run's agent and endpoint, when the attempt began. */
type LeaseStart = { lease_id: string; agent: string; endpoint: string; started_at: number | string };

type Decrypted = { value: string; version: number } | { error: DomainError };

/**
 * Secrets travel only inside a lease: `forTasks` adds to each leased task the current value of
 * every secret granted to its agent (and endpoint), and audits each delivery. `scrubberFor` is
 * the other direction: what a worker reports through a lease is cleaned of those values.
 */
export class SecretDelivery {
  readonly #store: Store;
  readonly #secrets: SecretService;
  readonly #leases: LeaseService;
  readonly #audit: AuditService;
  readonly #clock: Clock;
  readonly #scrubbers = new ScrubberCache();

  constructor(deps: { store: Store; secrets: SecretService; leases: LeaseService; audit: AuditService; clock: Clock }) {
    this.#store = deps.store;
    this.#secrets = deps.secrets;
    this.#leases = deps.leases;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
  }

  /**
   * The tasks with their `secrets`. A task whose granted secret cannot be decrypted is not
   * handed out without it: its attempt fails (`secret_unreadable`, retried by policy) instead.
   */
  async forTasks(req: DeliveryRequest): Promise<Task[]> {
    if (req.tasks.length === 0) return req.tasks;
    // Grants revoked from now on still count for these leases' scrubbers: the grants read below are what they carry.
    const leasedAt = this.#clock.now();
    const generation = this.#scrubbers.generation(req.tenantId);
    const tasks = await this.#withSecrets(req);
    // The leases' scrubbers now, from what the lease knows (agent, endpoint, its start, the values
    // it carries): a batched completion of these leases on this node then looks nothing up. A
    // grant or secret changed meanwhile on this node makes them stale (forget); on another node
    // they lapse in SCRUBBER_TTL_MS. Should this fail, the first report builds them instead.
    const carried = new Map(tasks.map((t) => [t.lease_id, Object.entries(t.secrets ?? {}).map(([name, value]) => ({ name, value }))]));
    try {
      await this.#buildScrubbers(req.tenantId, tasks.map((t) => ({ lease_id: t.lease_id, agent: t.agent, endpoint: t.endpoint, started_at: leasedAt })), leasedAt, generation, new Map(), carried);
    } catch (err) {
      this.#store.loops.loop('secret-delivery').itemFailed(err, { what: 'building the scrubbers of leases as they go out (the first report builds them)', tenant_id: req.tenantId });
    }
    return tasks;
  }

  async #withSecrets(req: DeliveryRequest): Promise<Task[]> {
    // Decided here, at lease time, with the key that leased: an admin or ["*"] key gets none.
    const receiving = req.tasks.filter((t) => receivesSecrets(req.recipient, t.agent));
    if (receiving.length === req.tasks.length) return this.#deliver(req);
    const delivered = new Map((receiving.length > 0 ? await this.#deliver({ ...req, tasks: receiving }) : []).map((t) => [t.lease_id, t]));
    return req.tasks.flatMap((t): Task[] => {
      const why = secretsWithheld(req.recipient, t.agent);
      if (why) return [{ ...t, secrets: {}, secrets_withheld: why }];
      const d = delivered.get(t.lease_id);
      return d ? [d] : []; // its secret could not be decrypted: the attempt was failed instead
    });
  }

  async #deliver(req: DeliveryRequest): Promise<Task[]> {
    const agents = [...new Set(req.tasks.map((t) => t.agent))];
    const grants = await this.#store.db
      .selectFrom('grants as g')
      .innerJoin('secrets as s', (j) => j.onRef('s.tenant_id', '=', 'g.tenant_id').onRef('s.name', '=', 'g.secret'))
      .innerJoin('secret_versions as v', (j) => j.onRef('v.tenant_id', '=', 's.tenant_id').onRef('v.name', '=', 's.name').onRef('v.version', '=', 's.current_version'))
      .select(['g.id as grant_id', 'g.agent as grant_agent', 'g.endpoint as grant_endpoint'])
      .selectAll('v')
      .where('g.tenant_id', '=', req.tenantId)
      .where('g.agent', 'in', agents)
      .where('g.revoked_at', 'is', null)
      .where('s.deleted_at', 'is', null)
      .orderBy('g.created_at')
      .execute();
    if (grants.length === 0) return req.tasks.map((t) => ({ ...t, secrets: {} }));

    const decrypted = new Map<string, Decrypted>();
    const decrypt = (row: SecretVersionsTable): Decrypted => {
      let d = decrypted.get(row.name);
      if (!d) {
        try {
          d = { value: this.#secrets.decrypt(row), version: Number(row.version) };
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          d = { error: err };
        }
        decrypted.set(row.name, d);
      }
      return d;
    };

    const delivered: Task[] = [];
    const audit: AuditEntry[] = [];
    const failed: { task: Task; failure: RunFailure }[] = [];
    for (const task of req.tasks) {
      const secrets: Record<string, string> = {};
      let failure: RunFailure | null = null;
      for (const g of grants) {
        if (g.grant_agent !== task.agent || (g.grant_endpoint !== null && g.grant_endpoint !== task.endpoint) || g.name in secrets) continue;
        const d = decrypt(g);
        const details = { run_id: task.run_id, lease_id: task.lease_id, agent: task.agent, endpoint: task.endpoint, version: Number(g.version), grant_id: g.grant_id };
        const entry = { tenantId: req.tenantId, actor: req.actor, actorRole: req.actorRole, action: 'secret.delivered', targetType: 'secret', targetId: g.name, statusCode: null, requestId: req.requestId };
        if ('error' in d) {
          failure ??= { type: 'secret_unreadable', message: d.error.message, non_retryable: false, details: d.error.details };
          audit.push({ ...entry, outcome: 'error', details: { ...details, reason: d.error.message } });
        } else {
          secrets[g.name] = d.value;
          audit.push({ ...entry, outcome: 'ok', details });
        }
      }
      if (failure) failed.push({ task, failure });
      else delivered.push({ ...task, secrets });
    }
    // Recorded before anything is handed out: a delivery the trail does not show never happens.
    await this.#audit.record(audit);
    await this.#failUndeliverable(req.tenantId, failed);
    return delivered;
  }

  /**
   * A grant or a secret of the tenant changed: this node's cached scrubbers of the tenant are
   * rebuilt on their next use, keeping the values they held (another node's lapse within
   * SCRUBBER_TTL_MS). Called after the change commits.
   */
  forget(tenantId: string): void {
    this.#scrubbers.forget(tenantId);
  }

  /**
   * Fails the attempts whose secrets could not be decrypted, so they are retried by policy now
   * rather than after the lease TTL. A lease already gone (DomainError) needs nothing; any other
   * failure is logged and counted on the `secret-delivery` loop (the lease then lapses as usual).
   */
  async #failUndeliverable(tenantId: string, failed: { task: Task; failure: RunFailure }[]): Promise<void> {
    if (failed.length === 0) return;
    const monitor = this.#store.loops.loop('secret-delivery');
    const results = await Promise.allSettled(failed.map(({ task, failure }) => this.#leases.fail(tenantId, task.lease_id, failure)));
    let errors = 0;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled' || r.reason instanceof DomainError) return;
      errors++;
      const { task } = failed[i];
      monitor.itemFailed(r.reason, { what: 'failing an attempt whose secret is unreadable', tenant_id: tenantId, run_id: task.run_id, lease_id: task.lease_id, agent: task.agent });
    });
    if (errors > 0) monitor.failed(new Error(`${errors} undeliverable lease(s) could not be failed (logged above)`), { tenant_id: tenantId });
    else monitor.succeeded();
  }

  /**
   * Replaces, in whatever a worker reports through this lease, every value (any stored version)
   * of each secret granted to the run's agent and endpoint, including grants revoked after the
   * lease began: the worker may hold those values. An unknown lease gets no scrubbing; the
   * lease call itself then fails.
   */
  async scrubberFor(tenantId: string, leaseId: string): Promise<Scrubber> {
    return (await this.scrubbersFor(tenantId, [leaseId])).get(leaseId) ?? noScrubbing;
  }

  /** `scrubberFor` for many leases (a batched completion) in two queries, whatever their number. */
  async scrubbersFor(tenantId: string, leaseIds: string[]): Promise<Map<string, Scrubber>> {
    const now = this.#clock.now();
    const result = new Map<string, Scrubber>();
    const missing: string[] = [];
    for (const id of new Set(leaseIds)) {
      const cached = this.#scrubbers.fresh(tenantId, id, now);
      if (cached) result.set(id, cached);
      else missing.push(id);
    }
    if (missing.length === 0) return result;
    const generation = this.#scrubbers.generation(tenantId);
    // Each lease's attempt, open (its run row) or ended.
    const attempts = await leaseAttempts(this.#store.db, this.#store.queries, tenantId, missing);
    return this.#buildScrubbers(tenantId, attempts, now, generation, result);
  }

  /** The scrubbers of `attempts` (cached), added to `result`: the secrets granted to each one's agent and endpoint, every stored version. */
  async #buildScrubbers(
    tenantId: string,
    attempts: readonly LeaseStart[],
    now: number,
    generation: number,
    result: Map<string, Scrubber>,
    carried: ReadonlyMap<string, ScrubEntry[]> = new Map(),
  ): Promise<Map<string, Scrubber>> {
    if (attempts.length === 0) return result;
    const earliest = Math.min(...attempts.map((a) => Number(a.started_at)));
    const rows = await this.#store.queries.statements.rows(this.#store.db, GRANTED_VERSIONS, { tenantId, agents: [...new Set(attempts.map((a) => a.agent))], earliest });
    const plaintexts = new Map<string, string | null>();
    const open = (row: SecretVersionsTable): string | null => {
      const key = `${row.name}\u0000${row.version}`;
      if (!plaintexts.has(key)) {
        try {
          plaintexts.set(key, this.#secrets.decrypt(row));
        } catch (err) {
          // A version that cannot be decrypted was never delivered either: nothing to scrub.
          if (!(err instanceof DomainError)) throw err;
          plaintexts.set(key, null);
        }
      }
      return plaintexts.get(key)!;
    };
    for (const a of attempts) {
      const entries: ScrubEntry[] = [];
      for (const g of rows) {
        if (g.grant_agent !== a.agent || (g.grant_endpoint !== null && g.grant_endpoint !== a.endpoint)) continue;
        if (g.grant_revoked_at !== null && Number(g.grant_revoked_at) < Number(a.started_at)) continue;
        const value = open(g);
        if (value !== null) entries.push({ name: g.name, value });
      }
      result.set(a.lease_id, this.#scrubbers.put(tenantId, a.lease_id, [...entries, ...(carried.get(a.lease_id) ?? [])], now, generation));
    }
    return result;
  }
}
