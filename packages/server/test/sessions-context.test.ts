/**
 * The context window a session's run sees, on both databases: `chatHistory` (the LLM runtime's
 * seam) gives the turns before the run's own as chat messages in conversation order, the
 * replies' text taken from the output, with the policy applied (last N messages, a token budget:
 * newest kept, oldest dropped, never opening on a reply); `applyContextPolicy` on its own.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';
import { applyContextPolicy, chatHistory, contentText, estimateTokens } from '../src/sessions/index.ts';

describe('applyContextPolicy', () => {
  const turns = ['u1', 'a1', 'u2', 'a2', 'u3', 'a3'].map((t) => ({ role: t[0] === 'u' ? 'user' : 'assistant', content: t }));
  it('keeps the newest messages and never starts with a reply', () => {
    assert.deepEqual(applyContextPolicy(turns, { max_messages: 4 }, () => 1).map((m) => m.content), ['u2', 'a2', 'u3', 'a3']);
    assert.deepEqual(applyContextPolicy(turns, { max_messages: 3 }, () => 1).map((m) => m.content), ['u3', 'a3'], 'a window opening on a2 drops it');
    assert.deepEqual(applyContextPolicy(turns, { max_tokens: 5 }, () => 2).map((m) => m.content), ['u3', 'a3']);
    assert.deepEqual(applyContextPolicy(turns, { max_messages: 100, max_tokens: 100 }, () => 1).length, 6);
    assert.deepEqual(applyContextPolicy(turns, { max_tokens: 1 }, () => 2), [], 'nothing fits');
  });
  it('reads text out of contents and estimates tokens', () => {
    assert.equal(contentText('hi'), 'hi');
    assert.equal(contentText({ text: 'answer' }), 'answer');
    assert.equal(contentText({ name: 'Ada' }), '{"name":"Ada"}');
    assert.ok(estimateTokens('x'.repeat(400)) > estimateTokens('x'.repeat(40)));
  });
});

for (const d of await dialects()) {
  describe(`chatHistory (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let worker: string;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      const manifest = { ...HELLO_MANIFEST, metadata: { name: 'echo' }, spec: { runtime: 'worker', endpoints: { say: { input: { type: 'string' }, output: {} } } } };
      assert.equal((await t.call('POST', '/v1/agents', { body: manifest })).statusCode, 201);
      worker = await t.keyFor('worker', t.tenantId, ['echo']);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const turn = async (sessionId: string, text: string, reply: unknown) => {
      const sent = await t.call('POST', `/v1/sessions/${sessionId}/messages`, { body: { content: text } });
      assert.equal(sent.statusCode, 201, sent.body);
      const [task] = (await t.call('POST', '/v1/worker/lease', { key: worker, body: { agent: 'echo', wait_ms: 0 } })).json().tasks;
      if (reply !== undefined) assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { key: worker, body: { output: reply } })).statusCode, 200);
      return sent.json().run_id as string;
    };

    it('gives the turns before the run, as text, under the policy', async () => {
      const s = (await t.call('POST', '/v1/sessions', { body: { agent: 'echo' } })).json();
      await turn(s.id, 'hello', 'hi there');
      await turn(s.id, 'what is 2+2?', { text: '4' });
      await turn(s.id, 'and 3+3?', { answer: '6' });
      const run = await turn(s.id, 'thanks', undefined);
      assert.deepEqual(await chatHistory(t.store.db, t.tenantId, run), [
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi there' },
        { role: 'user', content: 'what is 2+2?' },
        { role: 'assistant', content: '4' },
        { role: 'user', content: 'and 3+3?' },
        { role: 'assistant', content: '6' },
      ]);
      assert.deepEqual((await chatHistory(t.store.db, t.tenantId, run, { max_messages: 3 })).map((m) => m.content), ['and 3+3?', '6']);
      assert.deepEqual((await chatHistory(t.store.db, t.tenantId, run, { max_tokens: 23 })).map((m) => m.content), ['what is 2+2?', '4', 'and 3+3?', '6']);
      assert.deepEqual((await chatHistory(t.store.db, t.tenantId, run, { max_tokens: 22 })).map((m) => m.content), ['and 3+3?', '6'], 'the window never opens on a reply');
      assert.deepEqual(await chatHistory(t.store.db, t.tenantId, 'run_outside_any_session'), []);
    });

    it("a run's history is its own session's, not a fork's whose copy of its message keeps its run_id", async () => {
      const s = (await t.call('POST', '/v1/sessions', { body: { agent: 'echo' } })).json();
      await turn(s.id, 'original question', 'original answer');
      const run = await turn(s.id, 'follow-up', undefined);
      const f = await t.call('POST', `/v1/sessions/${s.id}/fork`);
      assert.equal(f.statusCode, 201, f.body);
      const fork = f.json().id as string;
      const db = t.store.db;
      const copy = await db.selectFrom('session_messages').selectAll().where('tenant_id', '=', t.tenantId).where('session_id', '=', fork).where('run_id', '=', run).executeTakeFirstOrThrow();
      assert.equal(copy.role, 'user', 'the fork holds a copy of the run\'s message, run_id kept');
      // Mark the fork's copies, and put the original row after the copy in storage order (as an
      // UPDATE does in Postgres), so a lookup by run_id alone would find the copy first.
      await db.updateTable('session_messages').set({ content: JSON.stringify('forked text') }).where('tenant_id', '=', t.tenantId).where('session_id', '=', fork).where('id', '<>', copy.id).execute();
      const own = await db.selectFrom('session_messages').selectAll().where('tenant_id', '=', t.tenantId).where('session_id', '=', s.id).where('run_id', '=', run).where('role', '=', 'user').executeTakeFirstOrThrow();
      await db.deleteFrom('session_messages').where('tenant_id', '=', t.tenantId).where('id', '=', own.id).execute();
      await db.insertInto('session_messages').values(own).execute();
      assert.deepEqual(await chatHistory(db, t.tenantId, run), [
        { role: 'user', content: 'original question' },
        { role: 'assistant', content: 'original answer' },
      ]);
    });
  });
}
