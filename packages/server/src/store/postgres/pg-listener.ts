import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { LoopMonitor } from '../../core/index.ts';
import type { Notifier } from '../notifier.ts';
import type { PendingEvent } from '../write-queue.ts';

export const CHANNEL = 'agentd';
/** NOTIFY payloads must stay under 8000 bytes; past this many names we send a coarse wake-up. */
const MAX_NAMES = 60;
/** Wait between reconnection attempts of the LISTEN connection. */
const RECONNECT_DELAY_MS = 1000;

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
  readonly #monitor: LoopMonitor;
  readonly #node = randomUUID();
  #client: pg.Client | null = null;
  #stopped = false;
  #retry: NodeJS.Timeout | null = null;

  /** `monitor` is told of every lost connection and failed reconnection (see loop-health.ts). */
  constructor(url: string, notifier: Notifier, monitor: LoopMonitor) {
    this.#url = url;
    this.#notifier = notifier;
    this.#monitor = monitor;
  }

  /** Connects and LISTENs; a failure here is the caller's (the store does not open). */
  async start(): Promise<void> {
    await this.#connect();
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: 5000, keepAlive: true });
    let listening = false;
    let lost = false;
    // Until LISTEN succeeded, failures reach #connect's caller; after, this handler alone.
    const onLost = (err: Error) => {
      if (!listening || lost || this.#stopped) return;
      lost = true;
      if (this.#client === client) this.#client = null;
      // While reconnecting, other nodes' wake-ups are missed: streams and pollers fall back to their periodic re-reads.
      this.#monitor.failed(err, { what: 'the LISTEN connection was lost; reconnecting' });
      this.#reconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost(new Error('the LISTEN connection ended')));
    client.on('notification', (msg) => this.#onNotification(msg.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      lost = true;
      // The failure is reported by the caller; closing a connection that never worked can only fail the same way.
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#stopped) {
      await client.end(); // stopped while reconnecting: this connection is not needed any more
      return;
    }
    listening = true;
    this.#client = client;
  }

  /** Listens again, once a second, until it works; wake-ups missed meanwhile cost latency only (pollers re-check). */
  #reconnect(): void {
    if (this.#stopped || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#connect().then(
        () => this.#monitor.succeeded(),
        (err: unknown) => {
          this.#monitor.failed(err, { what: 'reconnecting the LISTEN connection failed; retrying' });
          this.#reconnect();
        },
      );
    }, RECONNECT_DELAY_MS);
  }

  #onNotification(payload: string | undefined): void {
    if (!payload) return;
    let p: Payload;
    try {
      p = JSON.parse(payload) as Payload;
    } catch {
      return; // not JSON, so not sent by agentd (someone else NOTIFYing our channel): nothing to wake
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
    // Logged, not thrown: a connection already broken cannot be closed cleanly, and shutdown goes on.
    if (c) await c.end().catch((err: unknown) => this.#monitor.failed(err, { what: 'closing the LISTEN connection' }));
  }
}
