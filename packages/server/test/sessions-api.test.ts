/**
 * Sessions through the API on both databases: create (the endpoint defaulted when the agent has
 * one), messages validated against the endpoint's input schema (422 with field paths under
 * `content`), one message in flight under each multitask strategy with two messages at once
 * (reject: one 201 and one 409 SESSION_BUSY; enqueue: both run, in order; interrupt: the first
 * cancelled, its streamed text kept as a partial reply), the history a worker's task carries,
 * pause/resume/end/fork, the idle TTL, lists with cursors, delete, and the session's event
 * stream across messages resumed with Last-Event-ID with no gap and no duplicate.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';
import { readSse } from './helpers/sse-client.ts';

type Task = { lease_id: string; run_id: string; input: unknown; session?: { id: string; messages: { role: string; content: unknown; seq: number }[] } };

for (const d of await dialects()) {
  describe(`sessions API (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let worker: string;
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock });
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
      worker = await t.keyFor('worker', t.tenantId, ['hello']);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const create = async (body: object = { agent: 'hello' }) => {
      const r = await t.call('POST', '/v1/sessions', { body });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const send = (id: string, name: string, extra: object = {}) => t.call('POST', `/v1/sessions/${id}/messages`, { body: { content: { name }, ...extra } });
    const lease = async (): Promise<Task[]> => (await t.call('POST', '/v1/worker/lease', { key: worker, body: { agent: 'hello', max_tasks: 10, wait_ms: 0 } })).json().tasks;
    const complete = async (task: Task) => {
      const r = await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { key: worker, body: { output: { greeting: `Hello, ${(task.input as { name: string }).name}!` } } });
      assert.equal(r.statusCode, 200, r.body);
    };
    const history = async (id: string) => (await t.call('GET', `/v1/sessions/${id}/messages`)).json().data as { role: string; content: any; status: string; seq: number; run_id: string; id: string }[];
    const session = async (id: string) => (await t.call('GET', `/v1/sessions/${id}`)).json();
    const run = async (id: string) => (await t.call('GET', `/v1/runs/${id}`)).json();

    it('creates an active session, the endpoint defaulted to the agent\'s only one; 404 and 422 for what does not exist', async () => {
      const s = await create();
      assert.equal(s.status, 'active');
      assert.equal(s.endpoint, 'greet');
      assert.equal(s.message_count, 0);
      assert.equal((await t.call('POST', '/v1/sessions', { body: { agent: 'nobody' } })).json().error.code, 'AGENT_NOT_FOUND');
      assert.equal((await t.call('POST', '/v1/sessions', { body: { agent: 'hello', endpoint: 'nope' } })).json().error.code, 'ENDPOINT_NOT_FOUND');
      assert.equal((await t.call('GET', '/v1/sessions/ses_missing')).json().error.code, 'SESSION_NOT_FOUND');
    });

    it('checks a message against the endpoint\'s input schema: 422 INPUT_INVALID with paths under content', async () => {
      const s = await create();
      const r = await t.call('POST', `/v1/sessions/${s.id}/messages`, { body: { content: { name: 3 } } });
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'INPUT_INVALID');
      assert.ok(r.json().error.details.some((p: { path: string }) => p.path === 'content.name'), r.body);
      assert.equal((await session(s.id)).message_count, 0, 'nothing was appended');
    });

    it('reject: two messages at once → one 201, one 409 SESSION_BUSY; the reply is appended when the run succeeds', async () => {
      const s = await create();
      const [a, b] = await Promise.all([send(s.id, 'Ada'), send(s.id, 'Bea')]);
      const codes = [a.statusCode, b.statusCode].sort();
      assert.deepEqual(codes, [201, 409], `${a.body} ${b.body}`);
      const lost = a.statusCode === 409 ? a : b;
      const won = a.statusCode === 201 ? a : b;
      assert.equal(lost.json().error.code, 'SESSION_BUSY');
      assert.equal(lost.json().error.details.run_id, won.json().run_id);
      assert.equal((await session(s.id)).current_run_id, won.json().run_id);
      const [task] = await lease();
      assert.equal(task.run_id, won.json().run_id);
      assert.deepEqual(task.session, { id: s.id, messages: [] }, 'the first message has no history');
      await complete(task);
      const h = await history(s.id);
      assert.deepEqual(h.map((m) => [m.role, m.status]), [['user', 'succeeded'], ['assistant', 'complete']]);
      assert.equal(h[1].content.greeting, `Hello, ${h[0].content.name}!`);
      assert.equal((await session(s.id)).current_run_id, null);
      // The next message sees the first turn in ctx.session.messages.
      const c = await send(s.id, 'Cy');
      assert.equal(c.statusCode, 201, c.body);
      const [next] = await lease();
      assert.deepEqual(next.session!.messages.map((m) => [m.role, m.content]), [['user', h[0].content], ['assistant', h[1].content]]);
      await complete(next);
    });

    it('enqueue: two messages at once both accepted; the second runs only after the first ended, in order', async () => {
      const s = await create();
      const first = await send(s.id, 'One');
      const [x, y] = await Promise.all([send(s.id, 'Two', { multitask: 'enqueue' }), send(s.id, 'Three', { multitask: 'enqueue' })]);
      assert.equal(x.statusCode, 201, x.body);
      assert.equal(y.statusCode, 201, y.body);
      assert.equal(x.json().status, 'queued');
      assert.equal((await run(x.json().run_id)).status, 'waiting', 'held for its turn');
      const t1 = await lease();
      assert.deepEqual(t1.map((k) => k.run_id), [first.json().run_id], 'only the message in flight can be leased');
      await complete(t1[0]);
      const t2 = await lease();
      assert.equal(t2.length, 1);
      const order = (await history(s.id)).filter((m) => m.role === 'user').map((m) => m.content.name);
      assert.equal(order[0], 'One');
      const second = order[1];
      assert.equal((t2[0].input as { name: string }).name, second, 'the enqueued messages run in the order they were accepted');
      assert.deepEqual(t2[0].session!.messages.map((m) => m.role), ['user', 'assistant'], 'the history in conversation order, without the waiting message');
      await complete(t2[0]);
      const t3 = await lease();
      assert.equal((t3[0].input as { name: string }).name, order[2]);
      assert.equal(t3[0].session!.messages.length, 4);
      await complete(t3[0]);
      const h = await history(s.id);
      assert.deepEqual(h.map((m) => m.status), ['succeeded', 'succeeded', 'succeeded', 'complete', 'complete', 'complete']);
      const r2 = await run(x.json().run_id);
      const r1 = await run(first.json().run_id);
      assert.ok(r2.started_at >= r1.finished_at);
      assert.equal((await session(s.id)).current_run_id, null);
    });

    it('interrupt: cancels the message in flight, keeps what it streamed as a partial reply, runs the new one', async () => {
      const s = await create();
      const first = await send(s.id, 'Slow');
      const [task] = await lease();
      const streamed = await t.call('POST', `/v1/leases/${task.lease_id}/events`, { key: worker, body: { events: [{ type: 'run.output.delta', data: { delta: 'Hel' } }, { type: 'run.output.delta', data: { delta: 'lo, S' } }] } });
      assert.equal(streamed.statusCode, 200, streamed.body);
      const [busy, second] = await Promise.all([send(s.id, 'NoWay'), send(s.id, 'Fast', { multitask: 'interrupt' })].map((p) => p));
      // The plain one may come first (409) or second (409 too: the interrupt's message is in flight).
      assert.equal(busy.statusCode, 409, busy.body);
      assert.equal(second.statusCode, 201, second.body);
      assert.equal(second.json().interrupted_run_id, first.json().run_id);
      assert.equal((await run(first.json().run_id)).status, 'cancelled');
      const h = await history(s.id);
      assert.deepEqual(h.map((m) => [m.role, m.status, m.content]), [
        ['user', 'cancelled', { name: 'Slow' }],
        ['user', 'in_flight', { name: 'Fast' }],
        ['assistant', 'partial', 'Hello, S'],
      ]);
      const hb = await t.call('POST', `/v1/leases/${task.lease_id}/heartbeat`, { key: worker, body: {} });
      assert.equal(hb.json().cancelled ?? hb.json().status === 'cancelled', true, hb.body);
      const [t2] = await lease();
      assert.equal(t2.run_id, second.json().run_id);
      assert.deepEqual(t2.session!.messages.map((m) => [m.role, m.content]), [['user', { name: 'Slow' }], ['assistant', 'Hello, S']]);
      await complete(t2);
    });

    it('pause refuses messages (409 SESSION_PAUSED) while the one in flight finishes; resume admits; end is 410 and cancels', async () => {
      const s = await create();
      const m1 = await send(s.id, 'A');
      const q = await send(s.id, 'B', { multitask: 'enqueue' });
      assert.equal((await t.call('POST', `/v1/sessions/${s.id}/pause`)).json().status, 'paused');
      const refused = await send(s.id, 'C');
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.json().error.code, 'SESSION_PAUSED');
      const [k] = await lease();
      assert.equal(k.run_id, m1.json().run_id);
      await complete(k);
      assert.equal((await lease()).length, 0, 'an enqueued message waits while paused');
      assert.equal((await session(s.id)).current_run_id, null);
      const resumed = (await t.call('POST', `/v1/sessions/${s.id}/resume`)).json();
      assert.equal(resumed.status, 'active');
      assert.equal(resumed.current_run_id, q.json().run_id);
      const [k2] = await lease();
      assert.equal(k2.run_id, q.json().run_id);
      const ended = await t.call('POST', `/v1/sessions/${s.id}/end`, { body: { reason: 'done' } });
      assert.equal(ended.statusCode, 200, ended.body);
      assert.equal(ended.json().status, 'ended');
      assert.equal(ended.json().end_reason, 'done');
      assert.equal((await run(q.json().run_id)).status, 'cancelled', 'end cancels the message in flight');
      const gone = await send(s.id, 'D');
      assert.equal(gone.statusCode, 410);
      assert.equal(gone.json().error.code, 'SESSION_ENDED');
      assert.equal((await t.call('POST', `/v1/sessions/${s.id}/resume`)).statusCode, 410);
    });

    it('fork at a message: a new active session whose history is the prefix; it goes on by itself', async () => {
      const s = await create({ agent: 'hello', endpoint: 'greet', metadata: { who: 'orig' } });
      for (const n of ['A', 'B']) {
        await send(s.id, n);
        await complete((await lease())[0]);
      }
      const h = await history(s.id);
      assert.equal(h.length, 4);
      const f = await t.call('POST', `/v1/sessions/${s.id}/fork`, { body: { message_id: h[1].id } });
      assert.equal(f.statusCode, 201, f.body);
      const fork = f.json();
      assert.equal(fork.status, 'active');
      assert.deepEqual(fork.forked_from, { session_id: s.id, message_id: h[1].id, seq: 2 });
      assert.deepEqual(fork.metadata, { who: 'orig' });
      const fh = await history(fork.id);
      assert.deepEqual(fh.map((m) => [m.seq, m.role, m.content]), h.slice(0, 2).map((m) => [m.seq, m.role, m.content]));
      await send(fork.id, 'Z');
      const [k] = await lease();
      assert.deepEqual(k.session!.messages.map((m) => m.content), [h[0].content, h[1].content]);
      await complete(k);
      assert.equal((await history(fork.id)).length, 4);
      assert.equal((await history(s.id)).length, 4, 'the original is untouched');
      assert.equal((await t.call('POST', `/v1/sessions/${s.id}/fork`, { body: { message_id: 'msg_nope' } })).json().error.code, 'SESSION_MESSAGE_NOT_FOUND');
      const whole = await t.call('POST', `/v1/sessions/${s.id}/fork`);
      assert.equal(whole.statusCode, 201, whole.body);
      assert.equal(whole.json().message_count, 4, 'no message named: the whole history');
    });

    it('an idle session past its TTL ends itself; one with a message in flight does not', async () => {
      const idle = await create({ agent: 'hello', idle_ttl_ms: 60_000 });
      const busy = await create({ agent: 'hello', idle_ttl_ms: 60_000 });
      await send(busy.id, 'Long');
      clock.advance(61_000);
      const swept = await t.engine.sweeper.sweepOnce();
      assert.ok(swept.sessionsEnded >= 1);
      const a = await session(idle.id);
      assert.equal(a.status, 'ended');
      assert.equal(a.end_reason, 'idle');
      assert.equal((await session(busy.id)).status, 'active');
      await complete((await lease())[0]);
      assert.ok((await session(busy.id)).expires_at, 'the idle clock starts when the reply is in');
      clock.advance(61_000);
      await t.engine.sweeper.sweepOnce();
      assert.equal((await session(busy.id)).status, 'ended');
    });

    it('lists sessions by agent and status with cursors; history pages with cursors; delete removes the history', async () => {
      const all = [];
      let cursor: string | null = null;
      do {
        const page: { data: { id: string; status: string }[]; next_cursor: string | null } = (await t.call('GET', `/v1/sessions?agent=hello&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
        all.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor);
      assert.equal(new Set(all.map((s) => s.id)).size, all.length);
      assert.ok(all.length >= 8);
      const ended = (await t.call('GET', '/v1/sessions?status=ended&limit=500')).json().data as { status: string }[];
      assert.ok(ended.length >= 1 && ended.every((s) => s.status === 'ended'));
      const s = await create();
      for (const n of ['A', 'B', 'C']) {
        await send(s.id, n);
        await complete((await lease())[0]);
      }
      const p1 = (await t.call('GET', `/v1/sessions/${s.id}/messages?limit=4`)).json();
      assert.equal(p1.data.length, 4);
      const p2 = (await t.call('GET', `/v1/sessions/${s.id}/messages?limit=4&cursor=${p1.next_cursor}`)).json();
      assert.deepEqual([...p1.data, ...p2.data].map((m: { seq: number }) => m.seq), [1, 2, 3, 4, 5, 6]);
      assert.equal(p2.next_cursor, null);
      const del = await t.call('DELETE', `/v1/sessions/${s.id}`);
      assert.equal(del.statusCode, 200, del.body);
      assert.equal(del.json().messages_deleted, 6);
      assert.equal((await t.call('GET', `/v1/sessions/${s.id}/messages`)).statusCode, 404);
    });

    it('the session event stream spans its messages and resumes after Last-Event-ID with no gap and no duplicate', async () => {
      const base = await t.listen();
      const s = await create();
      for (const n of ['A', 'B']) {
        await send(s.id, n);
        await complete((await lease())[0]);
      }
      const url = `${base}/v1/sessions/${s.id}/events`;
      const whole = await readSse(url, { key: t.adminKey, maxFrames: 6, timeoutMs: 10_000 });
      const ids = whole.frames.map((f) => Number(f.id));
      assert.equal(ids.length, 6, 'queued, started, succeeded of both runs');
      assert.ok(ids.every((v, i) => i === 0 || v > ids[i - 1]));
      // Drop after three frames, then re-attach while the next message is live.
      const part = await readSse(url, { key: t.adminKey, maxFrames: 3, timeoutMs: 10_000 });
      await send(s.id, 'C');
      const [k] = await lease();
      await t.call('POST', `/v1/leases/${k.lease_id}/events`, { key: worker, body: { events: [{ type: 'run.output.delta', data: { delta: 'Hel' } }] } });
      await complete(k);
      const rest = await readSse(url, { key: t.adminKey, lastEventId: part.frames[2].id!, stopAfter: (f) => f.event === 'run.succeeded' && JSON.parse(f.data).run_id === k.run_id, timeoutMs: 10_000 });
      const joined = [...part.frames, ...rest.frames].map((f) => Number(f.id));
      assert.deepEqual(joined.slice(0, 6), ids, 'no gap and no duplicate across the re-attach');
      assert.deepEqual(rest.frames.slice(-4).map((f) => f.event), ['run.queued', 'run.started', 'run.output.delta', 'run.succeeded']);
      const page = (await t.call('GET', `/v1/sessions/${s.id}/events?after=${ids[3]}`, { headers: { accept: 'application/json' } })).json();
      assert.deepEqual(page.data.map((e: { id: string }) => Number(e.id)).slice(0, 2), ids.slice(4));
    });
  });
}
