import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Agentd, CursorPage } from '../src/index.ts';
import { sendJson, startTestServer, type TestServer } from './helpers/http-test-server.ts';
import { assertNoLeaks } from './helpers/leak-check.ts';

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  await assertNoLeaks();
});

/** Serves ids 1..total in pages of `limit`; the cursor is the next offset. */
async function pagedServer(total: number): Promise<Agentd> {
  server = await startTestServer((req, res) => {
    const limit = Number(req.url.searchParams.get('limit') ?? 50);
    const offset = Number(req.url.searchParams.get('cursor') ?? 0);
    const data = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => ({ id: `run_${offset + i + 1}` }));
    const next = offset + limit < total ? String(offset + limit) : null;
    sendJson(res, 200, { data, next_cursor: next });
  });
  return new Agentd({ baseURL: server.url });
}

describe('pagination', () => {
  it('await gives the first page with its cursor', async () => {
    const client = await pagedServer(5);
    const page = await client.runs.list({ limit: 2, status: 'failed' });
    assert.ok(page instanceof CursorPage);
    assert.deepEqual(page.data.map((r) => r.id), ['run_1', 'run_2']);
    assert.equal(page.next_cursor, '2');
    assert.deepEqual(JSON.parse(JSON.stringify(page)), { data: [{ id: 'run_1' }, { id: 'run_2' }], next_cursor: '2' });
    const q = server!.requests[0].url.searchParams;
    assert.equal(q.get('status'), 'failed');
    assert.equal(q.get('cursor'), null);
    await client.runs.list({ status: ['failed', 'timed_out'] });
    assert.equal(server!.requests[1].url.searchParams.get('status'), 'failed,timed_out');
  });

  it('for await iterates every item of every page, fetching lazily', async () => {
    const client = await pagedServer(5);
    const ids: string[] = [];
    for await (const run of client.runs.list({ limit: 2 })) ids.push(run.id);
    assert.deepEqual(ids, ['run_1', 'run_2', 'run_3', 'run_4', 'run_5']);
    assert.deepEqual(server!.requests.map((r) => r.url.searchParams.get('cursor')), [null, '2', '4']);
  });

  it('stops early without fetching further pages', async () => {
    const client = await pagedServer(10);
    for await (const run of client.agents.list({ limit: 3 })) if (run.name === undefined) break;
    assert.equal(server!.requests.length, 1);
  });

  it('walks pages by hand with getNextPage', async () => {
    const client = await pagedServer(3);
    let page = await client.keys.list({ limit: 2 });
    assert.ok(page.hasNextPage());
    page = await page.getNextPage();
    assert.deepEqual(page.data.map((k) => k.id), ['run_3']);
    assert.equal(page.hasNextPage(), false);
    await assert.rejects(page.getNextPage());
  });

  it('sends no request until the list is used', async () => {
    const client = await pagedServer(3);
    client.runs.list();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(server!.requests.length, 0);
  });

  it('iterates JSON event pages with next_cursor as the next after', async () => {
    server = await startTestServer((req, res) => {
      const after = Number(req.url.searchParams.get('after') ?? 0);
      const data = after < 4 ? [{ seq: after + 1 }, { seq: after + 2 }] : [];
      sendJson(res, 200, { data, next_cursor: data.length ? String(after + 2) : null });
    });
    const client = new Agentd({ baseURL: server.url });
    const seqs: number[] = [];
    for await (const e of client.runs.eventsPage('run_1', { after: 0, limit: 2 })) seqs.push(e.seq);
    assert.deepEqual(seqs, [1, 2, 3, 4]);
    assert.equal(server.requests[0].headers.accept, 'application/json');
  });
});
