import type { Transaction } from 'kysely';
import type { Database } from './db-types.ts';
import { DomainError } from '../core/index.ts';

/**
 * Fences the leader's writes (timers): `check` runs first thing in a write operation and throws
 * `LeadershipLost` unless this node still holds the leader lock; once it passed, no other node
 * can start leading until that transaction has ended. So a leader whose connection was killed
 * mid-pass writes nothing more, even before it has noticed, and two nodes never do timer work
 * at once. On SQLite (one process) there is nothing to fence.
 */
export interface LeaderFence {
  check(trx: Transaction<Database>): Promise<void>;
}

export const NO_FENCE: LeaderFence = { check: async () => {} };

/**
 * A DomainError on purpose: thrown before the operation writes anything, it fails that operation
 * alone, never the requests group-committed with it. It never reaches an HTTP response (timers
 * catch it by its class); its code is UNAVAILABLE, what this node would answer if one did: it
 * cannot do this work now, another node can.
 */
export class LeadershipLost extends DomainError {
  constructor(why: string) {
    super('UNAVAILABLE', `this node no longer leads the timers: ${why}`);
    this.name = 'LeadershipLost';
  }
}
