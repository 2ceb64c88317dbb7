import { randomBytes } from 'node:crypto';
import type { Task } from '@agentd/protocol';
import { validateManifest, type LlmSpec } from '@agentd/protocol/manifest';
import { sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { AgentService } from '../agents/index.ts';
import { systemClock, type Clock } from '../core/index.ts';
import type { LeaseService } from '../leases/index.ts';
import { wakeKey } from '../runs/index.ts';
import type { Store } from '../store/index.ts';
import { LlmLease } from './llm-lease.ts';
import { LlmLoop, type LlmLoopDeps } from './llm-loop.ts';

export interface LlmRunnerOptions {
  /**
   * Runs looping at once on this node. Default 100. A run waiting on something outside it (a
   * tool approval pending, an agent tool's child run live) is not looping: it is parked (no
   * lease, nothing in memory) until the wait ends, then leased again like a new run.
   */
  concurrency?: number;
  /**
   * How often it sweeps for queued runs no wake-up announced (a retry's backoff ended, a wake-up
   * lost): one read for all LLM agents together. Default 250 ms.
   */
  pollIntervalMs?: number;
  /** The lease each run is held by (heartbeated every third of it). Default 30 s. */
  leaseTtlMs?: number;
}

/** How long the list of LLM agents is trusted: another node's deploy is seen within this. */
const DIRECTORY_TTL_MS = 1000;

/**
 * Every node's LLM runner: it leases queued runs of `runtime: llm` agents like a worker would
 * (the same lease, fencing, retries, timeouts and cancel), and runs each one's model loop
 * (LlmLoop) in this process. Started by the server, stopped with it (runs in flight are released).
 */
export class LlmRunner {
  readonly #store: Store;
  readonly #agents: AgentService;
  readonly #leases: LeaseService;
  readonly #loop: LlmLoopDeps;
  readonly #concurrency: number;
  readonly #pollMs: number;
  readonly #ttlMs: number;
  readonly #workerId = `llm:${randomBytes(6).toString('hex')}`;
  readonly #live = new Map<string, { lease: LlmLease; done: Promise<void> }>();
  readonly #specs = new LRUCache<string, { spec: LlmSpec | null }>({ max: 1000 });
  readonly #wakes = new Map<string, () => void>();
  /** Agents (wake keys) that may have runs to lease: woken, found by the sweep, or left with a backlog. */
  readonly #dirty = new Map<string, { tenant_id: string; name: string }>();
  readonly #clock: Clock;
  #lastSweep = 0;
  #directory: { at: number; agents: { tenant_id: string; name: string }[] } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;
  #again = false;
  #stopped = true;

  constructor(deps: { store: Store; agents: AgentService; leases: LeaseService; loop: LlmLoopDeps; clock?: Clock } & LlmRunnerOptions) {
    this.#store = deps.store;
    this.#clock = deps.clock ?? systemClock;
    this.#agents = deps.agents;
    this.#leases = deps.leases;
    this.#loop = deps.loop;
    this.#concurrency = deps.concurrency ?? 100;
    this.#pollMs = deps.pollIntervalMs ?? 250;
    this.#ttlMs = deps.leaseTtlMs ?? 30_000;
  }

  /** The runs this node is looping now (tests, metrics); parked runs are not among them. */
  get active(): number {
    return this.#live.size;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops leasing, aborts every loop and gives its run back to the queue. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const off of this.#wakes.values()) off();
    this.#wakes.clear();
    await this.#ticking;
    const live = [...this.#live.values()];
    for (const l of live) l.lease.abort('the server is shutting down');
    await Promise.all(live.map((l) => l.done));
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.wake(), ms);
    this.#timer.unref();
  }

  /**
   * Leases what the woken agents have (a wake-up on a queue, a loop ended), and sweeps every LLM
   * agent when the poll interval has passed (the poll timer).
   */
  wake(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    this.#ticking = (async () => {
      try {
        do {
          this.#again = false;
          await this.#tick();
        } while (this.#again && !this.#stopped);
      } catch (err) {
        this.#store.loops.loop('llm-runner').failed(err, { what: 'lease LLM runs' });
      } finally {
        this.#ticking = null;
        this.#schedule(this.#pollMs);
      }
    })();
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const agents = await this.#llmAgents();
    if (Date.now() - this.#lastSweep >= this.#pollMs) {
      this.#lastSweep = Date.now();
      if (agents.length > 0) for (const a of await this.#withReadyRuns()) this.#dirty.set(wakeKey(a.tenant_id, a.name), a);
    }
    for (const [key, a] of [...this.#dirty]) {
      const free = this.#concurrency - this.#live.size;
      if (free <= 0 || this.#stopped) break; // the rest stay dirty: a loop that ends wakes the runner
      const want = Math.min(free, 16);
      const tasks = await this.#leases.leaseOnce({ tenantId: a.tenant_id, agent: a.name, maxTasks: want, waitMs: 0, workerId: this.#workerId, leaseTtlMs: this.#ttlMs });
      for (const t of tasks) this.#begin(a.tenant_id, t);
      if (tasks.length === want) this.#again = true;
      else this.#dirty.delete(key);
    }
    this.#store.loops.loop('llm-runner').succeeded();
  }

  /**
   * The LLM agents with a run ready to lease now, in one read: an index probe (runs_ready) per
   * agent inside the database, not a round trip per agent.
   */
  async #withReadyRuns(): Promise<{ tenant_id: string; name: string }[]> {
    const now = this.#clock.now();
    return this.#store
      .allTenants(this.#store.db)
      .selectFrom('agents as a')
      .select(['a.tenant_id', 'a.name'])
      .where(sql<boolean>`a.runtime = 'llm'`)
      .where('a.deleted_at', 'is', null)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('runs as r')
            .select(sql<number>`1`.as('one'))
            .whereRef('r.tenant_id', '=', 'a.tenant_id')
            .whereRef('r.agent', '=', 'a.name')
            // Literal, so the partial index runs_ready applies (as in leaseCandidates).
            .where(sql<boolean>`r.status = 'queued'`)
            .where('r.available_at', '<=', now)
            .where((w) => w.or([w('r.deadline_at', 'is', null), w('r.deadline_at', '>', now)])),
        ),
      )
      .execute();
  }

  /** The tenants' LLM agents (every tenant: the runner serves them all), re-read every second. */
  async #llmAgents(): Promise<{ tenant_id: string; name: string }[]> {
    const now = Date.now();
    if (this.#directory && now - this.#directory.at < DIRECTORY_TTL_MS) return this.#directory.agents;
    // A literal, so the partial index agents_llm applies. Across tenants on purpose: this node serves every tenant's LLM runs.
    const agents = await this.#store.allTenants(this.#store.db).selectFrom('agents').select(['tenant_id', 'name']).where(sql<boolean>`runtime = 'llm'`).where('deleted_at', 'is', null).orderBy('tenant_id').orderBy('name').execute();
    this.#directory = { at: now, agents };
    const keep = new Set<string>();
    for (const a of agents) {
      const key = wakeKey(a.tenant_id, a.name);
      keep.add(key);
      if (!this.#wakes.has(key))
        this.#wakes.set(
          key,
          this.#store.notifier.on(`queue:${key}`, () => {
            this.#dirty.set(key, a);
            void this.wake();
          }),
        );
    }
    for (const [key, off] of this.#wakes) {
      if (keep.has(key)) continue;
      off();
      this.#wakes.delete(key);
      this.#dirty.delete(key);
    }
    return agents;
  }

  #begin(tenantId: string, task: Task): void {
    const lease = new LlmLease({ store: this.#store, leases: this.#leases }, { tenantId, runId: task.run_id, leaseId: task.lease_id, heartbeatMs: task.heartbeat_interval_ms });
    const done = (async () => {
      try {
        const spec = await this.#specOf(tenantId, task);
        if (!spec) {
          await lease.fail({ type: 'llm_config', message: `version ${task.agent_version} of agent ${task.agent} is not a runtime: llm agent`, non_retryable: true, details: {} });
          return;
        }
        await new LlmLoop(this.#loop, lease, task, spec).run();
        if (this.#stopped && lease.lost) await lease.release().catch(() => undefined);
      } catch (err) {
        this.#store.loops.loop('llm-runner').failed(err, { what: 'LLM run', run_id: task.run_id });
      } finally {
        lease.close();
        this.#live.delete(task.run_id);
        if (!this.#stopped) void this.wake();
      }
    })();
    this.#live.set(task.run_id, { lease, done });
  }

  /** The run's pinned version's LLM spec (null: that version is no LLM agent), parsed once per version. */
  async #specOf(tenantId: string, task: Task): Promise<LlmSpec | null> {
    const key = `${tenantId}\u0000${task.agent}\u0000${task.agent_version}`;
    const hit = this.#specs.get(key);
    if (hit) return hit.spec;
    const version = await this.#agents.version(tenantId, task.agent, task.agent_version);
    const parsed = validateManifest(version.manifest);
    const spec = parsed.ok ? parsed.value.llm : null;
    this.#specs.set(key, { spec });
    return spec;
  }
}
