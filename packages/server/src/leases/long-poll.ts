import type { Task } from '@agentd/protocol';
import type { RunsTable, Store, WriteContext } from '../store/index.ts';
import { wakeKey } from '../runs/index.ts';
import type { LeaseRequest } from './run-leasing.ts';

interface ParkedPoller {
  req: LeaseRequest;
  endpoints: string[] | undefined;
  /** Taken by a creating transaction that has not committed yet. */
  claimed: boolean;
  deliver(tasks: Task[]): void;
}

/** Leases these queued runs to `req`'s worker inside `ctx`'s transaction. */
export type LeaseIdsIn = (ctx: WriteContext, req: LeaseRequest, ids: string[]) => Promise<Task[]>;

/**
 * The long-polls waiting on this node, and the hand-off: a run created on this node while a
 * poller waits is leased to it inside the creating transaction (one commit instead of two).
 */
export class ParkedPollers {
  readonly #notifier: Store['notifier'];
  /** By `tenant\u0000agent`, oldest first. */
  readonly #parked = new Map<string, ParkedPoller[]>();

  constructor(notifier: Store['notifier']) {
    this.#notifier = notifier;
  }

  /**
   * Parks the poller until a wake-up, `ms`, or a hand-off, whose tasks arrive here once the
   * creating transaction commits.
   */
  wait(req: LeaseRequest, endpoints: string[] | undefined, ms: number): Promise<Task[]> {
    return new Promise((resolve) => {
      const key = wakeKey(req.tenantId, req.agent);
      const parked: ParkedPoller = {
        req,
        endpoints,
        claimed: false,
        deliver: (tasks) => finish(tasks),
      };
      const finish = (tasks: Task[]) => {
        clearTimeout(timer);
        off();
        req.signal?.removeEventListener('abort', wake);
        this.#unpark(key, parked);
        resolve(tasks);
      };
      // A wake-up ends the wait unless a creating transaction has claimed this poller: then its
      // commit (or rollback) decides.
      const wake = () => {
        if (!parked.claimed) finish([]);
      };
      const timer = setTimeout(wake, ms);
      const off = this.#notifier.on(`queue:${key}`, wake);
      req.signal?.addEventListener('abort', wake, { once: true });
      const list = this.#parked.get(key);
      if (list) list.push(parked);
      else this.#parked.set(key, [parked]);
    });
  }

  #unpark(key: string, parked: ParkedPoller): void {
    const list = this.#parked.get(key);
    if (!list) return;
    const i = list.indexOf(parked);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#parked.delete(key);
  }

  /**
   * Called by the transaction that creates `runs` (queued, just inserted): leases them to pollers
   * parked on this node for their agent, in the same transaction. Runs nobody waits for stay
   * queued for the usual wake-up.
   */
  async handOffIn(ctx: WriteContext, runs: RunsTable[], leaseIds: LeaseIdsIn): Promise<void> {
    const byAgent = new Map<string, RunsTable[]>();
    for (const r of runs) {
      const key = wakeKey(r.tenant_id, r.agent);
      if (!this.#parked.has(key)) continue;
      const list = byAgent.get(key);
      if (list) list.push(r);
      else byAgent.set(key, [r]);
    }
    for (const [key, candidates] of byAgent) {
      let left = [...candidates].sort((a, b) => b.priority - a.priority);
      for (const poller of [...(this.#parked.get(key) ?? [])]) {
        if (left.length === 0) break;
        if (poller.claimed || poller.req.signal?.aborted) continue;
        const mine = left.filter((r) => !poller.endpoints || poller.endpoints.includes(r.endpoint)).slice(0, poller.req.maxTasks);
        if (mine.length === 0) continue;
        poller.claimed = true;
        // Rolled back: the poller goes back to polling on its own (its timer may have passed).
        ctx.onRollback.push(() => {
          poller.claimed = false;
          poller.deliver([]);
        });
        const tasks = await leaseIds(ctx, poller.req, mine.map((r) => r.id));
        ctx.afterCommit.push(() => poller.deliver(tasks));
        const taken = new Set(mine.map((r) => r.id));
        left = left.filter((r) => !taken.has(r.id));
      }
    }
  }
}
