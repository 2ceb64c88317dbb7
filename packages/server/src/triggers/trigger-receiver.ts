import { ERROR_CODES, type HookAccepted, type Run, type TriggerMapping, type TriggerTarget } from '@agentd/protocol';
import { DomainError, type Clock } from '../core/index.ts';
import type { RunService } from '../runs/index.ts';
import type { SecretService } from '../secrets/index.ts';
import type { Store, TriggerDeliveriesTable, TriggerReceiptsTable, TriggersTable, WriteContext } from '../store/index.ts';
import type { WorkflowStarter } from '../workflows/index.ts';
import { compileMapping, mapPayload, visibleHeaders, type CompiledMapping } from './trigger-mapping.ts';
import { OpenedSecrets, signedHeaders, timestampFits, verifyBearer, verifySigned, type OpenedSecret } from './trigger-secrets.ts';

/** One delivery as the hook route hands it over: the raw bytes, since the signature covers them. */
export interface HookDelivery {
  triggerId: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** When the request arrived (wall clock, ms): the timestamp's window is measured from it. */
  receivedAt: number;
}

/** What the route does about the per-trigger rate: 0 to go on, else the wait in ms (429). */
export type TriggerRateCheck = (trigger: { id: string; count: number; periodMs: number }) => number | Promise<number>;

/** Not verified: the route answers 401 HOOK_UNVERIFIED, the same whatever the reason (or no trigger at all). */
export class HookUnverified extends DomainError {
  readonly reason: string;
  constructor(reason: string) {
    super('HOOK_UNVERIFIED', 'the delivery is not verified: it needs webhook-id, webhook-timestamp (within 5 minutes of now) and webhook-signature by the trigger\'s secret (Standard Webhooks), or the trigger\'s bearer token');
    this.name = 'HookUnverified';
    this.reason = reason;
  }
}

/** Rows of the receipts and delivery log that one write operation inserts at its end. */
interface PendingRows {
  receipts: TriggerReceiptsTable[];
  deliveries: TriggerDeliveriesTable[];
}

/** Tries of one delivery whose message id another one took but had not committed (see receive). */
const START_ATTEMPTS = 3;

/** Rows per multi-row INSERT (ten columns: far below either database's parameter limit). */
const INSERT_CHUNK = 500;

/** Thrown inside a run's transaction when its message id was taken meanwhile: the run rolls back. */
class ReceiptTaken extends Error {}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** Compiled mappings by their JSON (a trigger's mapping changes rarely; few distinct ones exist). */
const MAPPING_CACHE_LIMIT = 1000;

/**
 * Receives deliveries at `/v1/hooks/{id}`: verifies them (Standard Webhooks signatures by any
 * secret that verifies now, or a bearer token), answers a message id seen before with its
 * original run, checks the trigger's rate, maps the body to the input and starts the run. The run, its
 * receipt (the message id's one run) and the delivery's log row are one transaction; a delivery
 * refused after verification (a body that does not map or fails the input schema) is logged as
 * `rejected` on its own, and starts nothing.
 */
export class TriggerReceiver {
  readonly #store: Store;
  readonly #secrets: SecretService;
  readonly #runs: RunService;
  readonly #workflowRuns: WorkflowStarter;
  readonly #clock: Clock;
  readonly #mappings = new Map<string, CompiledMapping>();
  readonly #opened = new OpenedSecrets();
  readonly #pending = new WeakMap<WriteContext, PendingRows>();

  constructor(opts: { store: Store; secrets: SecretService; runs: RunService; workflowRuns: WorkflowStarter; clock: Clock }) {
    this.#store = opts.store;
    this.#secrets = opts.secrets;
    this.#runs = opts.runs;
    this.#workflowRuns = opts.workflowRuns;
    this.#clock = opts.clock;
  }

  /** 202 with the new run, or 200 with the original one (a repeated message id). Throws HookUnverified, RATE_LIMITED's wait, or the refusal. */
  async receive(d: HookDelivery, rate: TriggerRateCheck): Promise<{ status: 200 | 202; body: HookAccepted } | { status: 429; retryAfterMs: number }> {
    const { trigger, messageId } = await this.#verify(d);
    // A replay first: the sender retrying a delivery that started a run gets that run (200), even
    // once the trigger is throttled, and spends none of its budget.
    if (messageId !== null) {
      const seen = await this.#duplicate(trigger, messageId);
      if (seen) return seen;
    }
    const wait = await rate({ id: trigger.id, count: Number(trigger.rate_count), periodMs: Number(trigger.rate_period_ms) });
    if (wait > 0) return { status: 429, retryAfterMs: wait };
    let input: unknown;
    try {
      input = await mapPayload(this.#mapping(trigger.mapping), parseBody(d.body), () => visibleHeaders(d.headers));
    } catch (err) {
      throw await this.#rejected(trigger, messageId, err);
    }
    const target = JSON.parse(trigger.target) as TriggerTarget;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#start(trigger, target, messageId, input);
      } catch (err) {
        if (!(err instanceof ReceiptTaken) || messageId === null) throw await this.#rejected(trigger, messageId, err);
        // Another delivery of this message id holds the receipt. It may not be committed yet: its
        // write and this one shared a transaction that rolled back for this one, and it is being
        // written again. Once the writer has moved past it, the receipt is there (or it failed,
        // and this delivery tries once more).
        await this.#store.writer.write(async () => undefined);
        const seen = await this.#duplicate(trigger, messageId);
        if (seen) return seen;
        if (attempt >= START_ATTEMPTS) throw err;
      }
    }
  }

  /** Starts the run, its receipt and log row in one write; ReceiptTaken when the message id was taken meanwhile. */
  async #start(trigger: TriggersTable, target: TriggerTarget, messageId: string | null, input: unknown): Promise<{ status: 202; body: HookAccepted }> {
    const deliveryId = this.#store.ids.next('tdl', this.#clock.now());
    const metadata = { trigger: { id: trigger.id, delivery_id: deliveryId, ...(messageId !== null ? { message_id: messageId } : {}) } };
    const after = async (ctx: WriteContext, run: Run) => {
      const rows = this.#rowsOf(ctx);
      if (messageId !== null) rows.receipts.push({ tenant_id: trigger.tenant_id, trigger_id: trigger.id, message_id: messageId, delivery_id: deliveryId, run_id: run.id, received_at: ctx.now });
      rows.deliveries.push({ tenant_id: trigger.tenant_id, id: deliveryId, trigger_id: trigger.id, message_id: messageId, outcome: 'started', status_code: 202, run_id: run.id, error_code: null, error_message: null, received_at: ctx.now });
    };
    const run = 'workflow' in target
      ? await this.#workflowRuns.start(trigger.tenant_id, target.workflow, { input, metadata }, { record: after })
      : await this.#runs.create(trigger.tenant_id, { agent: target.agent, endpoint: target.endpoint, input, metadata }, { after });
    return { status: 202, body: { delivery_id: deliveryId, trigger_id: trigger.id, run_id: run.id, duplicate: false, run } };
  }

  /**
   * The receipts and log rows of the runs one write operation starts (creates that arrive
   * together share one operation: see RunService), inserted as one statement each at its end
   * (a deferred step). A message id taken meanwhile fails that step, so the operation rolls back
   * whole and its runs are made again one by one, each finding out whether it is the duplicate.
   */
  #rowsOf(ctx: WriteContext): PendingRows {
    let rows = this.#pending.get(ctx);
    if (!rows) {
      const mine: PendingRows = { receipts: [], deliveries: [] };
      rows = mine;
      this.#pending.set(ctx, mine);
      ctx.deferred.push(async (trx) => {
        for (let i = 0; i < mine.receipts.length; i += INSERT_CHUNK) {
          const chunk = mine.receipts.slice(i, i + INSERT_CHUNK);
          const taken = await trx.insertInto('trigger_receipts').values(chunk).onConflict((oc) => oc.columns(['tenant_id', 'trigger_id', 'message_id']).doNothing()).returning('message_id').execute();
          if (taken.length < chunk.length) throw new ReceiptTaken();
        }
        for (let i = 0; i < mine.deliveries.length; i += INSERT_CHUNK) await trx.insertInto('trigger_deliveries').values(mine.deliveries.slice(i, i + INSERT_CHUNK)).execute();
      });
    }
    return rows;
  }

  /** The trigger and the delivery's message id, or HookUnverified (no such trigger included: the same answer). */
  async #verify(d: HookDelivery): Promise<{ trigger: TriggersTable; messageId: string | null }> {
    const { trigger, secrets } = await this.#load(d.triggerId);
    if (trigger.auth === 'bearer') {
      const header = d.headers.authorization;
      const m = typeof header === 'string' ? BEARER.exec(header) : null;
      if (!m || !verifyBearer(secrets.map((s) => s.value), m[1])) throw new HookUnverified(m ? 'wrong bearer token' : 'no bearer token');
      const id = d.headers['webhook-id'] ?? d.headers['idempotency-key'];
      return { trigger, messageId: typeof id === 'string' && id !== '' ? id : null };
    }
    const h = signedHeaders(d.headers);
    if (!h) throw new HookUnverified('missing Standard Webhooks headers');
    if (!timestampFits(h.timestamp, d.receivedAt)) throw new HookUnverified('the timestamp is outside the tolerance');
    if (!verifySigned(secrets, h, d.body)) throw new HookUnverified('no signature verifies (or the timestamp is more than 5 minutes off)');
    return { trigger, messageId: h.id };
  }

  /**
   * The trigger and the secrets that verify now, in one read (a row per live secret). Read on
   * every delivery, so a rotation, an overlap's end or a delete on any node counts from its
   * commit on; only the decryption of a sealed version is remembered (see OpenedSecrets).
   */
  async #load(id: string): Promise<{ trigger: TriggersTable; secrets: OpenedSecret[] }> {
    const now = this.#clock.now();
    // Deliveries name no tenant: the trigger's id is unique across tenants, and its row says whose it is.
    const rows = await this.#store
      .allTenants(this.#store.db)
      .selectFrom('triggers as t')
      .innerJoin('trigger_secrets as s', (j) => j.onRef('s.tenant_id', '=', 't.tenant_id').onRef('s.trigger_id', '=', 't.id'))
      .selectAll('t')
      .select(['s.version', 's.ciphertext', 's.iv', 's.tag', 's.wrapped_dek', 's.dek_iv', 's.dek_tag', 's.kek_id'])
      .where('t.id', '=', id)
      .where((eb) => eb.or([eb('s.verifies_until', 'is', null), eb('s.verifies_until', '>', now)]))
      .execute();
    if (rows.length === 0) throw new HookUnverified('no such trigger');
    const { version: _v, ciphertext: _c, iv: _i, tag: _t, wrapped_dek: _w, dek_iv: _di, dek_tag: _dt, kek_id: _k, ...trigger } = rows[0];
    const secrets = rows.map((r) => this.#opened.open(trigger as TriggersTable, r, this.#secrets));
    return { trigger: trigger as TriggersTable, secrets };
  }

  /** A message id seen before: logged as a duplicate, answered 200 with its original run. */
  async #duplicate(trigger: TriggersTable, messageId: string): Promise<{ status: 200; body: HookAccepted } | null> {
    const receipt = await this.#store.db.selectFrom('trigger_receipts').selectAll().where('tenant_id', '=', trigger.tenant_id).where('trigger_id', '=', trigger.id).where('message_id', '=', messageId).executeTakeFirst();
    if (!receipt) return null;
    const run = await this.#runs.get(trigger.tenant_id, receipt.run_id);
    await this.#log(trigger, messageId, { outcome: 'duplicate', status: 200, runId: receipt.run_id });
    return { status: 200, body: { delivery_id: receipt.delivery_id, trigger_id: trigger.id, run_id: receipt.run_id, duplicate: true, run } };
  }

  /** Logs a refusal after verification (mapping, input schema, target gone); returns the error to throw. */
  async #rejected(trigger: TriggersTable, messageId: string | null, err: unknown): Promise<unknown> {
    if (!(err instanceof DomainError)) return err;
    const status = ERROR_CODES[err.code].status;
    await this.#log(trigger, messageId, { outcome: 'rejected', status, error: err });
    return err;
  }

  async #log(trigger: TriggersTable, messageId: string | null, o: { outcome: 'duplicate' | 'rejected'; status: number; runId?: string; error?: DomainError }): Promise<void> {
    await this.#store.writer.write(async ({ trx, now }) => {
      await trx
        .insertInto('trigger_deliveries')
        .values({ tenant_id: trigger.tenant_id, id: this.#store.ids.next('tdl', now), trigger_id: trigger.id, message_id: messageId, outcome: o.outcome, status_code: o.status, run_id: o.runId ?? null, error_code: o.error?.code ?? null, error_message: o.error ? o.error.message.slice(0, 2000) : null, received_at: now })
        .execute();
    });
  }

  #mapping(json: string | null): CompiledMapping {
    if (json === null) return { kind: 'body' };
    let m = this.#mappings.get(json);
    if (!m) {
      const problems: { path: string; message: string }[] = [];
      m = compileMapping(JSON.parse(json) as TriggerMapping, 'mapping', problems);
      // Checked when the trigger was written; a stored mapping that no longer compiles is refused as the payload's problem would be.
      if (problems.length > 0) throw new DomainError('TRIGGER_PAYLOAD_INVALID', `the trigger's mapping cannot be used: ${problems[0].path} ${problems[0].message}`, problems);
      if (this.#mappings.size >= MAPPING_CACHE_LIMIT) this.#mappings.clear();
      this.#mappings.set(json, m);
    }
    return m;
  }
}

/** The body as JSON; an empty body is null. TRIGGER_PAYLOAD_INVALID when it is not JSON. */
function parseBody(body: Buffer): unknown {
  if (body.length === 0) return null;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new DomainError('TRIGGER_PAYLOAD_INVALID', `the body is not JSON: ${(err as Error).message}`, [{ path: 'body', message: 'is not JSON' }]);
  }
}
