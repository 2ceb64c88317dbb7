import type { Finding } from '@agentd/protocol';
import type { Agentd } from '../agentd-client.ts';
import type { FindingCreateParams } from '../resources/finding-log-audit-types.ts';
import type { WorkerEventInput } from '../resources/resource-types.ts';
import { checkFinding } from './finding-check.ts';
import { isLeaseGone } from './lease-conflict.ts';
import { errorFields, type WorkerLogger } from './worker-logger.ts';

/** The server takes 1–100 events per append, and 1–100 findings per post. */
const MAX_EVENTS_PER_APPEND = 100;
/**
 * Events wait this long for company: a handler streaming tokens makes one request per burst
 * instead of one per token, and a human watching sees no lag.
 */
const FLUSH_DELAY_MS = 25;

type Pending = { event: WorkerEventInput; resolve: () => void } | { finding: FindingCreateParams; resolve: (stored: Finding | null) => void };

/**
 * Buffers one task's events and findings and sends them in order through its lease. Sends are
 * serial, so seqs follow call order (a finding's `run.finding` event lands between the log lines
 * written around it); the returned promises resolve when sent and never reject: a lost log line
 * must not fail the run, and the handler may not even await it.
 */
export class LeaseEventBuffer {
  readonly #client: Agentd;
  readonly #leaseId: string;
  readonly #logger: WorkerLogger;
  readonly #onLeaseLost: () => void;
  #pending: Pending[] = [];
  #chain: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: { client: Agentd; leaseId: string; logger: WorkerLogger; onLeaseLost: () => void }) {
    this.#client = options.client;
    this.#leaseId = options.leaseId;
    this.#logger = options.logger;
    this.#onLeaseLost = options.onLeaseLost;
  }

  push(event: WorkerEventInput): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#add({ event, resolve }));
  }

  /**
   * Queues a finding (checked here: a TypeError for one the server would refuse); resolves with
   * the stored finding, or null when it could not be stored.
   */
  pushFinding(finding: FindingCreateParams): Promise<Finding | null> {
    const checked = checkFinding(finding);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#add({ finding: checked, resolve }));
  }

  #add(p: Pending): void {
    this.#pending.push(p);
    if (this.#pending.length >= MAX_EVENTS_PER_APPEND) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Sends everything pushed so far; resolves when it has been sent (or given up on). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, MAX_EVENTS_PER_APPEND);
      this.#chain = this.#chain.then(() => this.#send(batch));
    }
    return this.#chain;
  }

  /** Drops what is unsent and accepts nothing more (the lease is gone or the run settled). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const p of this.#pending.splice(0)) p.resolve(null as never);
  }

  /** Sends the batch as runs of events and runs of findings, in order. */
  async #send(batch: Pending[]): Promise<void> {
    for (let start = 0; start < batch.length; ) {
      const findings = 'finding' in batch[start];
      let end = start + 1;
      while (end < batch.length && 'finding' in batch[end] === findings) end++;
      const run = batch.slice(start, end);
      await (findings ? this.#sendFindings(run as Extract<Pending, { finding: unknown }>[]) : this.#sendEvents(run as Extract<Pending, { event: unknown }>[]));
      start = end;
    }
  }

  async #sendEvents(run: Extract<Pending, { event: unknown }>[]): Promise<void> {
    try {
      await this.#client.leases.appendEvents(this.#leaseId, run.map((p) => p.event));
    } catch (err) {
      this.#failed(err, 'dropped run events the server did not take', run.length);
    } finally {
      for (const p of run) p.resolve();
    }
  }

  async #sendFindings(run: Extract<Pending, { finding: unknown }>[]): Promise<void> {
    let stored: Finding[] = [];
    try {
      stored = (await this.#client.findings.create(this.#leaseId, run.map((p) => p.finding))).data;
    } catch (err) {
      this.#failed(err, 'dropped findings the server did not take', run.length);
    } finally {
      run.forEach((p, i) => p.resolve(stored[i] ?? null));
    }
  }

  #failed(err: unknown, message: string, count: number): void {
    if (isLeaseGone(err)) this.#onLeaseLost();
    else this.#logger.warn(message, { lease_id: this.#leaseId, count, ...errorFields(err) });
  }
}
