import { FINDING_SEVERITIES, type Finding } from '@agentd/protocol';
import type { Agentd } from '../agentd-client.ts';
import type { FindingCreateParams } from '../resources/finding-log-audit-types.ts';
import { isLeaseGone } from './lease-conflict.ts';
import { errorFields, type WorkerLogger } from './worker-logger.ts';

/** The server takes 1–100 findings per post. */
const MAX_FINDINGS_PER_POST = 100;
/** Findings reported in a loop (a linter's results) travel together; nobody waits 25 ms for one. */
const FLUSH_DELAY_MS = 25;

interface Pending {
  finding: FindingCreateParams;
  resolve: (stored: Finding | null) => void;
}

/**
 * Checks what the server would refuse, here, so one bad finding cannot sink a batch of good ones.
 * Throws a TypeError, like `ctx.emit` with a bad name.
 */
export function checkFinding(f: FindingCreateParams): FindingCreateParams {
  if (!f || typeof f !== 'object') throw new TypeError('A finding is an object: { severity, summary, source?, file?, details? }');
  if (!FINDING_SEVERITIES.includes(f.severity)) throw new TypeError(`Invalid finding severity ${JSON.stringify(f.severity)}: use ${FINDING_SEVERITIES.join(', ')}`);
  if (typeof f.summary !== 'string' || f.summary.length === 0 || f.summary.length > 2000) throw new TypeError('A finding needs a summary of 1 to 2000 characters');
  if (f.source !== undefined && (typeof f.source !== 'string' || f.source.length === 0 || f.source.length > 200)) throw new TypeError('A finding source is 1 to 200 characters');
  if (f.file !== undefined && (typeof f.file !== 'string' || f.file.length === 0 || f.file.length > 1000)) throw new TypeError('A finding file is 1 to 1000 characters');
  const out: FindingCreateParams = { severity: f.severity, summary: f.summary };
  if (f.source !== undefined) out.source = f.source;
  if (f.file !== undefined) out.file = f.file;
  if (f.details !== undefined) out.details = f.details;
  return out;
}

/**
 * Buffers one task's findings and posts them through its lease, in order, after the events
 * logged before them (`beforeSend` flushes the event buffer), so a run's stream reads
 * "log, log, finding" the way the handler wrote it. The promises resolve with the stored
 * finding, or null when it was not stored (lease gone, server refused); they never reject.
 */
export class LeaseFindingBuffer {
  readonly #client: Agentd;
  readonly #leaseId: string;
  readonly #logger: WorkerLogger;
  readonly #onLeaseLost: () => void;
  readonly #beforeSend: () => Promise<void>;
  #pending: Pending[] = [];
  #chain: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: { client: Agentd; leaseId: string; logger: WorkerLogger; onLeaseLost: () => void; beforeSend: () => Promise<void> }) {
    this.#client = options.client;
    this.#leaseId = options.leaseId;
    this.#logger = options.logger;
    this.#onLeaseLost = options.onLeaseLost;
    this.#beforeSend = options.beforeSend;
  }

  push(finding: FindingCreateParams): Promise<Finding | null> {
    const checked = checkFinding(finding);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#pending.push({ finding: checked, resolve });
      if (this.#pending.length >= MAX_FINDINGS_PER_POST) void this.flush();
      else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
    });
  }

  /** Posts everything pushed so far; resolves when it has been stored (or given up on). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, MAX_FINDINGS_PER_POST);
      this.#chain = this.#chain.then(() => this.#send(batch));
    }
    return this.#chain;
  }

  /** Drops what is unsent and accepts nothing more (the lease is gone or the run settled). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const p of this.#pending.splice(0)) p.resolve(null);
  }

  async #send(batch: Pending[]): Promise<void> {
    let stored: Finding[] = [];
    try {
      await this.#beforeSend();
      stored = (await this.#client.findings.create(this.#leaseId, batch.map((p) => p.finding))).data;
    } catch (err) {
      if (isLeaseGone(err)) this.#onLeaseLost();
      else this.#logger.warn('dropped findings the server did not take', { lease_id: this.#leaseId, count: batch.length, ...errorFields(err) });
    } finally {
      batch.forEach((p, i) => p.resolve(stored[i] ?? null));
    }
  }
}
