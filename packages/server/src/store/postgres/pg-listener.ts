import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Notifier } from '../notifier.ts';
import type { PendingEvent } from '../write-queue.ts';

export const CHANNEL = 'agentd';
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
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: 5000, keepAlive: true });
    // A late 'end' of a connection already replaced must not start yet another one.
    const lost = () => {
      if (this.#client === null || this.#client === client) this.#reconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => this.#onNotification(msg.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.#stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
  }

  /** Listens again, once a second, until it works; wake-ups missed meanwhile cost latency only (pollers re-check). */
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

  /**
   * The NOTIFY payload for a commit (delivered to other nodes only if it commits), or null when
   * the commit changed nothing anyone waits on.
   */
  payloadFor(events: PendingEvent[], wakes: Set<string>): string | null {
    if (events.length === 0 && wakes.size === 0) return null;
    const runs = [...new Set(events.map((e) => e.run_id))];
    const payload: Payload = {
      node: this.#node,
      runs: runs.length <= MAX_NAMES ? runs : [],
      tenants: [...new Set(events.map((e) => e.tenant_id))],
      queues: [...wakes].slice(0, MAX_NAMES),
    };
    const text = JSON.stringify(payload);
    return text.length > 7000 ? JSON.stringify({ ...payload, runs: [], queues: [] }) : text;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    const c = this.#client;
    this.#client = null;
    if (c) await c.end().catch(() => {});
  }
}
