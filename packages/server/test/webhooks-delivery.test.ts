/**
 * Outbound webhook delivery on both databases, to real HTTP receivers on 127.0.0.1 (allowed here
 * by configuration; the default policy's refusal is tested in webhooks-api.test.ts): signatures
 * a receiver verifies with the standardwebhooks package, retries across a failing receiver, seq
 * order per run under retries, giving up (subscription failing, audit record) and redelivery, a
 * redirect to a refused address at delivery time, event/agent filters and tenant isolation, and
 * two delivery loops (on PostgreSQL two engines on one database) that never send one delivery
 * at the same time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { EgressPolicy } from '../src/egress/index.ts';
import { Keyring } from '../src/secrets/master-key.ts';
import { parseRetryAfter, WebhookDeliveryLoop } from '../src/webhooks/index.ts';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';
import { eventOf, WebhookReceiver, type ReceivedRequest } from './helpers/webhook-receiver.ts';

const SCHEDULE = [20, 40, 80];
const WEBHOOKS = { egress: new EgressPolicy(['127.0.0.1']), retrySchedule: SCHEDULE, pollIntervalMs: 20, timeoutMs: 3_000 };
const OTHER_MANIFEST = { ...HELLO_MANIFEST, metadata: { name: 'other' } };

async function eventually<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const d of await dialects()) {
  describe(`webhook delivery (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let worker: string;
    let receiver: WebhookReceiver;
    let base: string;
    /** Per test path, how to answer. */
    const routes = new Map<string, (r: Omit<ReceivedRequest, 'status'>) => { status: number; headers?: Record<string, string>; delayMs?: number }>();
    const keyring = Keyring.generate();

    const ok = async (method: string, url: string, body?: unknown, key?: string) => {
      const r = await t.call(method, url, { body, key });
      assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.json();
    };
    const subscribe = async (path: string, events: string[], extra: Record<string, unknown> = {}, app = t) => {
      const r = await app.call('POST', '/v1/webhooks', { body: { url: `${base}${path}`, events, ...extra } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json() as { id: string; secret: string };
    };
    /** Leases every queued run of `agent`, posts `logs` log events on each, completes each. */
    const drain = async (agent = 'hello', logs = 0, key = worker, app = t) => {
      const done: string[] = [];
      for (;;) {
        const { tasks } = (await app.call('POST', '/v1/worker/lease', { key, body: { agent, max_tasks: 100, wait_ms: 0 } })).json() as { tasks: { lease_id: string; run_id: string }[] };
        if (tasks.length === 0) return done;
        for (const task of tasks) {
          for (let i = 0; i < logs; i++) await app.call('POST', `/v1/leases/${task.lease_id}/events`, { key, body: { events: [{ type: 'run.log', data: { line: i } }] } });
          const c = await app.call('POST', `/v1/leases/${task.lease_id}/complete`, { key, body: { output: { greeting: 'hi' } } });
          assert.equal(c.statusCode, 200, c.body);
          done.push(task.run_id);
        }
      }
    };
    const run = async (name: string, agent = 'hello', app = t) => (await app.call('POST', '/v1/runs', { body: { agent, endpoint: 'greet', input: { name } } })).json().id as string;
    const at = (path: string) => receiver.requests.filter((r) => r.path === path);
    const log = async (id: string) => (await ok('GET', `/v1/webhooks/${id}/deliveries?limit=500`)).data as { id: string; status: string; attempts: number; event_type: string; run_id: string; seq: number; last_status_code: number | null; last_error: string | null }[];

    before(async () => {
      db = await d.create();
      receiver = new WebhookReceiver((r) => (routes.get(r.path.split('?')[0]) ?? (() => ({ status: 200 })))(r));
      base = await receiver.listen();
      t = await startTestApp(db, { keyring, webhooks: WEBHOOKS });
      t.engine.webhookDelivery.start();
      await ok('POST', '/v1/agents', HELLO_MANIFEST);
      await ok('POST', '/v1/agents', OTHER_MANIFEST);
      worker = await t.keyFor('worker', t.tenantId, ['hello', 'other']);
    });
    after(async () => {
      await t?.close();
      await receiver?.close();
      await db?.cleanup();
    });

    it('delivers a subscribed event signed so that the standardwebhooks package verifies it, and nothing it was not subscribed to', async () => {
      const sub = await subscribe('/signed', ['run.succeeded']);
      assert.match(sub.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      const id = await run('signed');
      await drain();
      const [got] = await receiver.until(() => at('/signed').length >= 1, 'the signed delivery').then(() => at('/signed'));
      const verified = new StandardWebhook(sub.secret).verify(got.body, got.headers as Record<string, string>) as { type: string; run_id: string; seq: number; data: unknown };
      assert.equal(verified.type, 'run.succeeded');
      assert.equal(verified.run_id, id);
      assert.equal(got.headers['content-type'], 'application/json');
      assert.throws(() => new StandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(got.body, got.headers as Record<string, string>), /No matching signature/);
      const [entry] = await eventually(async () => {
        const l = await log(sub.id);
        return l.length === 1 && l[0].status === 'succeeded' ? l : null;
      }, 'the delivery log');
      assert.equal(entry.id, got.headers['webhook-id']);
      assert.deepEqual([entry.attempts, entry.last_status_code, entry.event_type, entry.run_id], [1, 200, 'run.succeeded', id]);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(at('/signed').map((r) => eventOf(r).type), ['run.succeeded'], 'run.queued and run.started were not subscribed');
      await ok('DELETE', `/v1/webhooks/${sub.id}`);
    });

    it('retries across a receiver that fails and then succeeds, with the same webhook-id and a fresh valid signature each time', async () => {
      let answered = 0;
      routes.set('/flaky', () => ({ status: answered++ < 2 ? 500 : 204 }));
      const sub = await subscribe('/flaky', ['run.succeeded']);
      await run('flaky');
      await drain();
      await receiver.until(() => at('/flaky').some((r) => r.status === 204), 'the successful retry');
      const tries = at('/flaky');
      assert.deepEqual(tries.map((r) => r.status), [500, 500, 204]);
      assert.equal(new Set(tries.map((r) => r.headers['webhook-id'])).size, 1, 'one delivery, three attempts');
      for (const r of tries) new StandardWebhook(sub.secret).verify(r.body, r.headers as Record<string, string>);
      const [entry] = await eventually(async () => ((await log(sub.id))[0]?.status === 'succeeded' ? log(sub.id) : null), 'the log');
      assert.deepEqual([entry.attempts, entry.last_status_code, entry.last_error], [3, 204, null]);
      await ok('DELETE', `/v1/webhooks/${sub.id}`);
    });

    it("waits as long as a receiver's Retry-After asks (longer than the schedule's wait), then delivers", async () => {
      let answered = 0;
      routes.set('/busy', () => (answered++ === 0 ? { status: 503, headers: { 'retry-after': '120' } } : { status: 200 }));
      const sub = await subscribe('/busy', ['run.succeeded']);
      await run('busy');
      await drain();
      const [entry] = await eventually(async () => ((await log(sub.id))[0]?.attempts === 1 ? log(sub.id) : null), 'the first attempt');
      const e = entry as unknown as { status: string; next_attempt_at: string; last_attempt_at: string; last_error: string };
      assert.equal(e.status, 'pending');
      const wait = Date.parse(e.next_attempt_at) - Date.parse(e.last_attempt_at);
      assert.ok(wait >= 120_000 && wait <= 121_000, `waits the 120 s asked, not the schedule's 20 ms: ${wait} ms`);
      assert.match(e.last_error, /503 \(Retry-After: 120 s\)/);
      assert.equal(at('/busy').length, 1, 'not asked again sooner');
      // Brought forward by hand, as if the 120 s had passed: the next attempt delivers.
      await t.store.writer.write(async ({ trx }) => {
        await trx.updateTable('webhook_deliveries').set({ next_attempt_at: 0 }).where('tenant_id', '=', t.tenantId).where('webhook_id', '=', sub.id).where('status', '=', 'pending').execute();
      });
      t.engine.webhookDelivery.wake();
      await receiver.until(() => at('/busy').some((r) => r.status === 200), 'the retry after the wait');
      await ok('DELETE', `/v1/webhooks/${sub.id}`);
    });

    it("keeps each run's events in seq order while deliveries fail and are retried", async () => {
      // Every event whose seq is 1 or 4 mod 3… fails its first attempt; the run's later events must wait for it.
      const seen = new Set<string>();
      routes.set('/ordered', (r) => {
        const id = String(r.headers['webhook-id']);
        const first = !seen.has(id);
        seen.add(id);
        return { status: first && eventOf(r as ReceivedRequest).seq % 3 === 1 ? 503 : 200 };
      });
      const sub = await subscribe('/ordered', ['run.*']);
      const ids = [await run('o1'), await run('o2'), await run('o3')];
      await drain('hello', 4);
      // queued, started, 4 logs, succeeded: 7 events per run.
      await receiver.until(() => ids.every((id) => at('/ordered').filter((r) => r.status === 200 && eventOf(r).run_id === id).length === 7), 'every event of the three runs');
      for (const id of ids) {
        const mine = at('/ordered').filter((r) => eventOf(r).run_id === id);
        const okSeqs = mine.filter((r) => r.status === 200).map((r) => eventOf(r).seq);
        assert.deepEqual(okSeqs, [1, 2, 3, 4, 5, 6, 7], `run ${id}: acknowledged in seq order`);
        // No attempt of seq k was made before seq k-1 had been acknowledged.
        for (const [i, r] of mine.entries()) {
          const seq = eventOf(r).seq;
          const acked = new Set(mine.slice(0, i).filter((x) => x.status === 200).map((x) => eventOf(x).seq));
          for (let s = 1; s < seq; s++) assert.ok(acked.has(s), `run ${id}: seq ${seq} was sent before seq ${s} was acknowledged`);
        }
        assert.ok(mine.some((r) => r.status === 503), 'some attempts failed');
      }
      await ok('DELETE', `/v1/webhooks/${sub.id}`);
    });

    it("gives up after the last retry: the delivery is failed, the subscription failing with an audit record, the run's next event goes on; redelivery sends it again", async () => {
      let started = 500;
      routes.set('/dead', (r) => ({ status: eventOf(r as ReceivedRequest).type === 'run.started' ? started : 200 }));
      const sub = await subscribe('/dead', ['run.started', 'run.succeeded']);
      await run('dead');
      await drain();
      await receiver.until(() => at('/dead').some((r) => r.status === 200), 'run.succeeded after run.started was given up');
      const startedTries = at('/dead').filter((r) => eventOf(r).type === 'run.started');
      assert.equal(startedTries.length, SCHEDULE.length + 1, 'the first attempt and one per retry');
      assert.ok(at('/dead').findIndex((r) => eventOf(r).type === 'run.succeeded') > at('/dead').findLastIndex((r) => eventOf(r).type === 'run.started'), 'run.succeeded waited for run.started to be given up');
      const failed = await eventually(async () => (await log(sub.id)).find((e) => e.event_type === 'run.started' && e.status === 'failed'), 'the failed delivery');
      assert.deepEqual([failed.attempts, failed.last_status_code], [SCHEDULE.length + 1, 500]);
      assert.match(failed.last_error ?? '', /answered 500/);
      const audit = (await ok('GET', `/v1/audit?target_id=${sub.id}&limit=50`)).data as { action: string; outcome: string; details: Record<string, unknown> }[];
      const failing = audit.find((a) => a.action === 'webhook.failing');
      assert.ok(failing, JSON.stringify(audit));
      assert.equal(failing.details.delivery_id, failed.id);
      // The run.succeeded that followed was delivered: the subscription recovered.
      await eventually(async () => (await ok('GET', `/v1/audit?target_id=${sub.id}&action=webhook.recovered`)).data.length === 1, 'webhook.recovered');
      assert.equal((await ok('GET', `/v1/webhooks/${sub.id}`)).status, 'active');
      // …and both turns are tenant events, on the tenant's stream, in the subscription's own lane.
      const turns = await eventually(async () => {
        const r = await t.call('GET', `/v1/events?after=0&type=webhook.*&run=${sub.id}`, { headers: { accept: 'application/json' } });
        assert.equal(r.statusCode, 200, r.body);
        const data = r.json().data as { type: string; run_id: string; agent: string; seq: number; data: Record<string, unknown> }[];
        return data.length === 2 ? data : undefined;
      }, 'webhook.failing and webhook.recovered on the tenant stream');
      assert.deepEqual(turns.map((e) => [e.type, e.run_id, e.agent, e.seq]), [['webhook.failing', sub.id, '', 1], ['webhook.recovered', sub.id, '', 2]]);
      assert.equal(turns[0].data.webhook_id, sub.id);
      assert.equal(turns[0].data.delivery_id, failed.id);
      assert.deepEqual([turns[0].data.event_type, turns[0].data.status_code, turns[0].data.attempts], ['run.started', 500, SCHEDULE.length + 1]);
      assert.match(String(turns[0].data.last_error), /answered 500/);
      assert.equal(turns[1].data.event_type, 'run.succeeded');

      started = 200;
      const again = await ok('POST', `/v1/webhooks/${sub.id}/deliveries/${failed.id}/redeliver`, {});
      assert.equal(again.status, 'pending');
      await receiver.until(() => at('/dead').some((r) => r.status === 200 && r.headers['webhook-id'] === failed.id), 'the redelivery');
      const done = await eventually(async () => (await log(sub.id)).find((e) => e.id === failed.id && e.status === 'succeeded'), 'the redelivered entry');
      assert.equal(done.attempts, SCHEDULE.length + 2);
      const repeat = await t.call('POST', `/v1/webhooks/${sub.id}/deliveries/${failed.id}/redeliver`, { body: {} });
      assert.equal(repeat.statusCode, 200, 'a finished delivery may be sent again');
      const twice = await t.call('POST', `/v1/webhooks/${sub.id}/deliveries/${failed.id}/redeliver`, { body: {} });
      assert.ok(twice.statusCode === 409 || twice.statusCode === 200, twice.body);
      if (twice.statusCode === 409) assert.equal(twice.json().error.code, 'WEBHOOK_DELIVERY_PENDING');
      assert.equal((await t.call('POST', `/v1/webhooks/${sub.id}/deliveries/msg_nope/redeliver`, { body: {} })).json().error.code, 'WEBHOOK_DELIVERY_NOT_FOUND');
      await receiver.until(() => at('/dead').filter((r) => r.headers['webhook-id'] === failed.id && r.status === 200).length >= 2, 'the second redelivery');
      await ok('DELETE', `/v1/webhooks/${sub.id}`);
    });

    it('fails an attempt whose receiver redirects to a refused address, without connecting to it', async () => {
      routes.set('/bounce', () => ({ status: 307, headers: { location: `http://[::1]:${receiver.port}/inside` } }));
      const sub = await subscribe('/bounce', ['run.succeeded']);
      await run('bounce');
      await drain();
      const entry = await eventually(async () => (await log(sub.id)).find((e) => e.attempts >= 1), 'an attempt');
      assert.match(entry.last_error ?? '', /egress refused: \[::1\] is a loopback address/);
      assert.equal(entry.last_status_code, null);
      assert.equal(receiver.requests.filter((r) => r.path === '/inside').length, 0);
      await ok('DELETE', `/v1/webhooks/${sub.id}`);
    });

    it("delivers only the subscribed agents' events of its own tenant, and queues nothing where nobody subscribed", async () => {
      const count = async () => Number((await t.store.allTenants(t.store.db).selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      await run('nobody');
      await drain();
      assert.equal(await count(), before, 'no subscription, no delivery row');

      const other = await t.engine.tenants.create({ name: 'Other' });
      const otherAdmin = await t.keyFor('admin', other.id);
      await t.call('POST', '/v1/agents', { key: otherAdmin, body: HELLO_MANIFEST });
      const otherWorker = await t.keyFor('worker', other.id, ['hello']);
      const sub = await subscribe('/filtered', ['run.succeeded'], { agents: ['hello'] });
      const mine = await run('mine');
      await run('not-hello', 'other');
      const theirs = (await t.call('POST', '/v1/runs', { key: otherAdmin, body: { agent: 'hello', endpoint: 'greet', input: { name: 'theirs' } } })).json().id as string;
      await drain('hello');
      await drain('other');
      await drain('hello', 0, otherWorker);
      await receiver.until(() => at('/filtered').length >= 1, 'the hello run');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(at('/filtered').map((r) => eventOf(r).run_id), [mine]);
      assert.ok(!at('/filtered').some((r) => r.body.includes(theirs) || r.body.includes('tenant')), 'no other tenant, no tenant id in the body');
      const list = await t.call('GET', '/v1/webhooks', { key: otherAdmin });
      assert.deepEqual(list.json().data, [], "the other tenant sees none of this tenant's subscriptions");
      assert.equal((await t.call('GET', `/v1/webhooks/${sub.id}/deliveries`, { key: otherAdmin })).statusCode, 404);
      await ok('DELETE', `/v1/webhooks/${sub.id}`);
    });

    it('drops a delivery whose subscription was deleted after it was queued (a commit that raced the delete), without sending it', async () => {
      await t.engine.webhookDelivery.stop();
      const sub = await subscribe('/raced', ['run.succeeded']);
      await run('raced');
      await drain();
      const rows = async () => t.store.db.selectFrom('webhook_deliveries').select(['id', 'status']).where('tenant_id', '=', t.tenantId).where('webhook_id', '=', sub.id).execute();
      assert.equal((await rows()).length, 1);
      // What the race leaves: the subscription gone, a delivery queued for it after the delete read the table.
      await t.store.writer.write(({ trx }) => trx.deleteFrom('webhooks').where('tenant_id', '=', t.tenantId).where('id', '=', sub.id).execute());
      t.engine.webhookDelivery.start();
      await eventually(async () => (await rows()).length === 0, 'the orphan delivery dropped');
      assert.equal(at('/raced').length, 0, 'nothing was sent');
    });

    it('two delivery loops (on PostgreSQL, two engines on one database) never send one delivery at the same time', async () => {
      // A second node: on PostgreSQL its own store and engine; SQLite has one writer, so a second loop on the same store.
      const t2 = d.name === 'postgres' ? await startTestApp(db, { keyring, webhooks: WEBHOOKS }) : null;
      const second = t2
        ? t2.engine.webhookDelivery
        : new WebhookDeliveryLoop({ store: t.store, secrets: t.engine.secrets, audit: t.engine.audit, clock: t.clock, egress: t.engine.egress, retrySchedule: SCHEDULE, pollIntervalMs: 20, concurrency: 8 });
      second.start();
      try {
        const seen = new Set<string>();
        routes.set('/shared', (r) => {
          const id = String(r.headers['webhook-id']);
          const first = !seen.has(id);
          seen.add(id);
          return { status: first && id.charCodeAt(id.length - 1) % 3 === 0 ? 500 : 200, delayMs: 15 };
        });
        // Created through the second node: the first node's hook must see it from its next commit on.
        const sub = await subscribe('/shared', ['run.queued', 'run.succeeded'], {}, t2 ?? t);
        const ids: string[] = [];
        for (let i = 0; i < 25; i++) ids.push(await run(`shared-${i}`));
        await drain();
        await receiver.until(() => new Set(at('/shared').filter((r) => r.status === 200).map((r) => r.headers['webhook-id'])).size === ids.length * 2, 'every delivery acknowledged', 60_000);
        const okById = new Map<string, number>();
        for (const r of at('/shared').filter((x) => x.status === 200)) okById.set(String(r.headers['webhook-id']), (okById.get(String(r.headers['webhook-id'])) ?? 0) + 1);
        assert.deepEqual([...okById.values()].filter((n) => n > 1), [], 'no delivery acknowledged twice');
        assert.equal(receiver.maxConcurrentPerId, 1, 'no delivery was in flight twice at once');
        const entries = await eventually(async () => {
          const l = await log(sub.id);
          return l.length === ids.length * 2 && l.every((e) => e.status === 'succeeded') ? l : null;
        }, 'every log entry succeeded');
        assert.equal(entries.filter((e) => e.attempts === 2).length, [...seen].filter((id) => id.charCodeAt(id.length - 1) % 3 === 0).length);
        await ok('DELETE', `/v1/webhooks/${sub.id}`);
      } finally {
        await second.stop();
        await t2?.close();
      }
    });
  });
}

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates; ignores the absent, unreadable, past and over-long', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(['30', '99'], now), 30_000);
    assert.equal(parseRetryAfter(new Date(now + 90_000).toUTCString(), now), 90_000);
    for (const v of [undefined, '', 'soon', '-5', '0', '1.5', new Date(now - 1000).toUTCString(), String(86_401)]) assert.equal(parseRetryAfter(v, now), null, String(v));
  });
});
