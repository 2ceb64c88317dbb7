import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db-types.ts';
import type { Notifier } from '../notifier.ts';
import type { CommitResult } from '../write-queue.ts';

const CHANNEL = 'agentd';
/** NOTIFY payloads must stay under 8000 bytes; past this many names we send a coarse wake-up. */
const MAX_NAMES = 60;

interface Payload {
  node: string;
  runs: string[];
  tenants: string[];
  queues: string[];
}

/**
 * Carries wake-ups between nodes: each commit NOTIFYs inside its transaction (delivered only if
 * it commits), and every node LISTENs and re-emits what other nodes wrote on its own Notifier.
 */
export class PgListener {
  readonly #url: string;
  readonly #notifier: Notifier;
  readonly #node = randomUUID();
  #client: pg.Client | null = null;
  #stopped = false;
  #retry: NodeJS.Timeout | null = null;

  constructor(url: string, notifier: Notifier) {
    this.#url = url;
    this.#notifier = notifier;
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    client.on('error', () => this.#reconnect());
    client.on('end', () => this.#reconnect());
    client.on('notification', (msg) => this.#onNotification(msg.payload));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.#client = client;
  }

  #reconnect(): void {
    if (this.#stopped || this.#retry) return;
    this.#client = null;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.start().catch(() => this.#reconnect());
    }, 1000);
  }

  #onNotification(payload: string | undefined): void {
    if (!payload) return;
    let p: Payload;
    try {
      p = JSON.parse(payload) as Payload;
    } catch {
      return; // not ours
    }
    if (p.node === this.#node) return; // our own commit was already published locally
    this.#notifier.publish(p.runs, p.tenants, p.queues);
  }

  async notifyInTransaction(trx: Transaction<Database>, result: CommitResult): Promise<void> {
    if (result.events.length === 0 && result.wakes.size === 0) return;
    const runs = [...new Set(result.events.map((e) => e.run_id))];
    const payload: Payload = {
      node: this.#node,
      runs: runs.length <= MAX_NAMES ? runs : [],
      tenants: [...new Set(result.events.map((e) => e.tenant_id))],
      queues: [...result.wakes].slice(0, MAX_NAMES),
    };
    let text = JSON.stringify(payload);
    if (text.length > 7000) text = JSON.stringify({ ...payload, runs: [], queues: [] });
    await sql`SELECT pg_notify(${CHANNEL}, ${text})`.execute(trx);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    const c = this.#client;
    this.#client = null;
    if (c) await c.end().catch(() => {});
  }
}
