/**
 * No key or secret material at rest outside the vault. A real `agentd serve` (log level info)
 * goes through a full scenario: API keys created with Idempotency-Keys and replayed, secrets
 * created and rotated, grants, a worker lease that receives the values, a worker that tries to
 * echo them back (events, findings, an approval prompt, output, a failure), decision links and
 * approvals. Then every API key, secret value and link token made is searched for, as text, hex
 * and base64, in the database (the SQLite file, WAL and all, or a pg_dump), the rest of the data
 * directory and the server's log. The same search must find what does belong there (key ids,
 * prefixes, markers put in run inputs and worker logs), so a leak could not hide from it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { ServerProcess, killAllChildren, waitUntil } from './helpers/server-process.ts';
import { sql } from 'kysely';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { WebhookReceiver } from './helpers/webhook-receiver.ts';

const manifest = (name: string, endpoints: Record<string, unknown>) => ({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name }, spec: { runtime: 'worker', endpoints } });
const ECHO = manifest('echo', { say: { input: { type: 'object' }, output: { type: 'object' }, timeout: '30s', retry: { max_attempts: 1 } } });
const GATE = manifest('gate', { pay: { input: { type: 'object' }, output: { type: 'object' }, approval: { prompt: 'Pay?' } } });

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** Everything under `dir`, file by file (the SQLite database, its WAL and shm, key files, logs). */
function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile()) out.set(name, readFileSync(path));
  }
  return out;
}

const forms = (text: string) => [text, Buffer.from(text).toString('hex'), Buffer.from(text).toString('base64'), Buffer.from(text).toString('base64url')];

for (const d of await dialects()) {
  describe(`no key or secret material at rest (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess;
    let receiver: WebhookReceiver;
    let hookBase: string;
    /** Every credential made, by what it is. */
    const keys = new Map<string, string>();
    const secrets = new Map<string, string>();
    const tokens = new Map<string, string>();
    /** What must be found: ids and markers that belong in the database. */
    const expected = new Map<string, string>();

    const call = async (method: string, path: string, opts: { body?: unknown; key?: string; idem?: string } = {}): Promise<Answer> => {
      const headers: Record<string, string> = { authorization: `Bearer ${opts.key ?? server.adminKey}`, accept: 'application/json' };
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      if (opts.idem) headers['idempotency-key'] = opts.idem;
      const res = await fetch(`${server.url}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : null };
    };
    const ok = async (method: string, path: string, opts: { body?: unknown; key?: string; idem?: string } = {}) => {
      const r = await call(method, path, opts);
      assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
      return r;
    };
    const newKey = async (what: string, body: Record<string, unknown>, idem?: string) => {
      const r = await ok('POST', '/v1/keys', { body, idem });
      keys.set(r.json.key, what);
      expected.set(r.json.id, `${what}'s id`);
      expected.set(r.json.prefix, `${what}'s prefix`);
      return r;
    };

    before(async () => {
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-at-rest-'));
      receiver = new WebhookReceiver();
      hookBase = await receiver.listen();
      // The webhook receiver is on loopback: allowed for this server, with quick retries.
      server = new ServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined, logLevel: 'info', env: { AGENTD_EGRESS_ALLOW: '127.0.0.1', AGENTD_WEBHOOK_RETRY_SCHEDULE: '50ms,50ms' } });
      await server.start();
      keys.set(server.adminKey, 'admin (AGENTD_ADMIN_KEY)');
    });
    after(async () => {
      await server?.stop();
      await receiver?.close();
      await killAllChildren();
      if (d.name === 'postgres') rmSync(dataDir, { recursive: true, force: true });
      await db?.cleanup();
    });

    it('runs the scenario: keys (replayed), secrets (rotated), grants, a lease with the values, echoes, approvals, links', async () => {
      // Keys, with Idempotency-Keys as the SDK and CLI send them; a replay returns the same key.
      const idem = randomUUID();
      const viewer = await newKey('viewer', { role: 'viewer', name: 'at-rest-viewer' }, idem);
      for (let i = 0; i < 2; i++) {
        const again = await ok('POST', '/v1/keys', { body: { role: 'viewer', name: 'at-rest-viewer' }, idem });
        assert.equal(again.headers.get('idempotent-replayed'), 'true');
        assert.equal(again.json.key, viewer.json.key, 'a replay still returns the key');
      }
      assert.equal((await call('GET', '/v1/agents', { key: viewer.json.key })).status, 200, 'the replayed key authenticates');
      const approver = await newKey('approver', { role: 'approver', name: 'at-rest-approver' }, randomUUID());
      await newKey('operator (no Idempotency-Key)', { role: 'operator' });
      // A worker key naming its agent: the only kind a lease delivers secrets to.
      const worker = await ok('POST', '/v1/keys', { body: { role: 'worker', name: 'at-rest-worker', agents: ['echo'] }, idem: randomUUID() });
      keys.set(worker.json.key, 'worker');
      expected.set(worker.json.id, "worker's id");
      const w = worker.json.key as string;

      for (const [m, idemKey] of [[ECHO, randomUUID()], [GATE, undefined]] as const) await ok('POST', '/v1/agents', { body: m, idem: idemKey });

      // A webhook subscription (created with an Idempotency-Key and replayed, then rotated): its
      // signing secrets are shown once each and must rest nowhere but sealed.
      const hookIdem = randomUUID();
      const hook = await ok('POST', '/v1/webhooks', { body: { url: `${hookBase}/at-rest`, events: ['run.*'] }, idem: hookIdem });
      assert.equal((await ok('POST', '/v1/webhooks', { body: { url: `${hookBase}/at-rest`, events: ['run.*'] }, idem: hookIdem })).json.secret, hook.json.secret, 'a replay returns the same secret');
      const rotated = await ok('POST', `/v1/webhooks/${hook.json.id}/rotate-secret`, { body: {}, idem: randomUUID() });
      for (const [what, secret] of [['webhook secret', hook.json.secret as string], ['rotated webhook secret', rotated.json.secret as string]]) {
        secrets.set(secret, what);
        secrets.set(secret.slice('whsec_'.length), `${what} (its key, base64)`);
      }
      expected.set(hook.json.id, "the webhook's id");
      for (const path of ['/v1/webhooks', `/v1/webhooks/${hook.json.id}`, `/v1/webhooks/${hook.json.id}/deliveries`]) {
        const r = await ok('GET', path);
        assert.ok(!r.text.includes(hook.json.secret) && !r.text.includes(rotated.json.secret), `${path} shows no secret`);
      }

      // Secrets: created (one replayed), rotated, granted.
      const value = (what: string) => {
        const v = `${what}-${randomBytes(16).toString('hex')}`;
        secrets.set(v, what);
        return v;
      };
      const a1 = value('token_a v1');
      const createA = randomUUID();
      await ok('POST', '/v1/secrets', { body: { name: 'token_a', value: a1 }, idem: createA });
      assert.equal((await ok('POST', '/v1/secrets', { body: { name: 'token_a', value: a1 }, idem: createA })).headers.get('idempotent-replayed'), 'true');
      const a2 = value('token_a v2');
      await ok('POST', '/v1/secrets/token_a/rotate', { body: { value: a2 }, idem: randomUUID() });
      const b1 = value('token_b v1');
      await ok('POST', '/v1/secrets', { body: { name: 'token_b', value: b1 } });
      await ok('POST', '/v1/grants', { body: { secret: 'token_a', agent: 'echo' }, idem: randomUUID() });
      await ok('POST', '/v1/grants', { body: { secret: 'token_b', agent: 'echo', endpoint: 'say' } });

      // A run (its input holds a marker that must be found), leased with the values.
      const marker = `MARKER-${randomUUID()}`;
      expected.set(marker, 'a marker in a run input');
      const runs = [];
      for (let i = 0; i < 2; i++) runs.push((await ok('POST', '/v1/runs', { body: { agent: 'echo', endpoint: 'say', input: { marker, i } }, idem: randomUUID() })).json);
      const tasks: { lease_id: string; run_id: string; secrets: Record<string, string> }[] = [];
      await waitUntil(
        async () => {
          tasks.push(...(await ok('POST', '/v1/worker/lease', { key: w, body: { agent: 'echo', max_tasks: 2, wait_ms: 1000 } })).json.tasks);
          return tasks.length >= 2;
        },
        { what: 'both echo runs leased' },
      );
      for (const task of tasks) assert.deepEqual(task.secrets, { token_a: a2, token_b: b1 }, 'the lease carries the current values');

      // The worker tries to echo them back through every channel it has.
      const [first, second] = tasks;
      const logMarker = `LOGMARKER-${randomUUID()}`;
      expected.set(logMarker, 'a marker in a worker log event');
      await ok('POST', `/v1/leases/${first.lease_id}/events`, {
        key: w,
        body: {
          events: [
            { type: 'run.log', data: { level: 'info', message: `${logMarker} using ${a2}`, fields: { b: b1 } } },
            { type: 'run.progress', data: { progress: 0.5, message: `half of ${b1}` } },
            { type: 'run.output.delta', data: { delta: a2 } },
            { type: 'custom.echo', data: { both: [a2, b1] } },
          ],
        },
      });
      await ok('POST', `/v1/leases/${first.lease_id}/findings`, { key: w, idem: randomUUID(), body: { findings: [{ severity: 'warning', summary: `found ${a2}`, details: { b: b1 } }] } });
      const asked = await ok('POST', `/v1/leases/${first.lease_id}/approvals`, { key: w, body: { key: 'ask', prompt: `may I use ${a2}?`, payload: { b: b1 } } });
      await ok('POST', `/v1/approvals/${asked.json.id}/approve`, { key: approver.json.key, idem: randomUUID(), body: { comment: 'yes' } });
      const done = await ok('POST', `/v1/leases/${first.lease_id}/complete`, { key: w, body: { output: { echoed: a2, joined: `${a2}:${b1}`, nested: { b: b1 } } } });
      assert.equal(done.json.output.echoed, '[redacted:token_a]', 'the output is scrubbed before it is stored');
      await ok('POST', `/v1/leases/${second.lease_id}/fail`, { key: w, body: { error: { type: 'echo', message: `failed with ${b1}`, non_retryable: true, details: { a: a2 } } } });

      // Approvals: a decision link (created with an Idempotency-Key and replayed), used; an approval decided by key.
      for (let i = 0; i < 2; i++) await ok('POST', '/v1/runs', { body: { agent: 'gate', endpoint: 'pay', input: {} }, idem: randomUUID() });
      const pending = (await ok('GET', '/v1/approvals?status=pending&agent=gate')).json.data;
      assert.equal(pending.length, 2);
      const linkIdem = randomUUID();
      const link = await ok('POST', `/v1/approvals/${pending[0].id}/link`, { body: { decision: 'approve' }, idem: linkIdem });
      const linkAgain = await ok('POST', `/v1/approvals/${pending[0].id}/link`, { body: { decision: 'approve' }, idem: linkIdem });
      assert.equal(linkAgain.json.token, link.json.token, 'a replayed link creation returns the same link');
      tokens.set(link.json.token, 'decision link');
      const unused = await ok('POST', `/v1/approvals/${pending[1].id}/link`, { body: {}, idem: randomUUID() });
      tokens.set(unused.json.token, 'decision link (never used)');
      await ok('GET', `/v1/approval-links/${link.json.token}`);
      await ok('GET', `/v1/approval-links/${unused.json.token}`);
      const decided = await fetch(`${server.url}${link.json.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ comment: 'via link' }) });
      assert.equal(decided.status, 200, await decided.text());
      await ok('POST', `/v1/approvals/${pending[1].id}/reject`, { key: approver.json.key, idem: randomUUID(), body: { reason: 'no' } });

      // Deliveries were signed with both secrets (the rotation's overlap) and reached the receiver.
      await receiver.until((rs) => rs.some((r) => r.status === 200), 'a webhook delivery');
      const delivered = receiver.requests[0];
      for (const secret of [hook.json.secret, rotated.json.secret]) new StandardWebhook(secret).verify(delivered.body, delivered.headers as Record<string, string>);

      // The audit trail is written in the background: wait for the last request's row.
      await waitUntil(async () => (await ok('GET', '/v1/audit?limit=500')).json.data.some((e: { action: string }) => e.action === 'POST /v1/approvals/{id}/reject'), { what: 'the audit row of the last request' });
      assert.ok(keys.size >= 5 && secrets.size === 7 && tokens.size === 2);
    });

    const search = (where: Map<string, Buffer>) => (text: string) => [...where].filter(([, data]) => forms(text).some((f) => data.includes(f))).map(([name]) => name);

    for (const moment of ['while the server runs', 'after it stopped'] as const) {
      it(`${moment}: no key, secret value or link token is in the database, the data directory or the server log`, async () => {
        if (moment !== 'while the server runs') await server.stop();
        const where = filesUnder(dataDir);
        const log = Buffer.from(server.processes.map((p) => `${p.lines.join('\n')}\n${p.stderr}`).join('\n'));
        where.set('server log (stdout and stderr)', log);
        if (d.name === 'postgres') where.set('pg_dump', execFileSync('pg_dump', ['--no-owner', db.location], { maxBuffer: 256 * 1024 * 1024 }));
        const database = new Map([...where].filter(([name]) => name.startsWith('agentd.db') || name === 'pg_dump'));
        assert.ok(database.size > 0 && [...database.values()].every((b) => b.length > 0), `the database is searched: ${[...database.keys()].join(', ')}`);

        // The search finds what belongs there: it would find a leak the same way.
        const inDatabase = search(database);
        for (const [text, what] of expected) assert.ok(inDatabase(text).length > 0, `the search finds ${what} (${text.slice(0, 16)}…) in the database`);
        assert.ok(log.includes('/v1/keys') && log.includes('"level":30'), 'the server log holds the info-level request lines');

        const everywhere = search(where);
        const leaks = [...keys, ...secrets, ...tokens].flatMap(([text, what]) => everywhere(text).map((name) => `${what} in ${name}`));
        assert.deepEqual(leaks, []);
        console.log(`# at rest (${d.name}, ${moment}): ${keys.size} keys, ${secrets.size} secret values, ${tokens.size} link tokens searched in ${[...where.keys()].join(', ')} (${[...where.values()].reduce((n, b) => n + b.length, 0)} bytes): none found; ${expected.size} ids and markers found`);
      });
    }
  });
}

for (const d of await dialects()) {
  describe(`an upgrade drops the plaintext key records of older versions (${d.name})`, { skip: d.skip }, () => {
    it('migration 5 deletes the POST /v1/keys idempotency records, leaves the others, and (SQLite) leaves no trace in the file', async () => {
      const db = await d.create();
      try {
        const plaintext = `agd_${randomBytes(30).toString('base64url')}`;
        const row = (route: string, key: string) => ({ tenant_id: 'default', route, key, request_hash: 'h', status_code: 201, response: JSON.stringify({ key: plaintext }), created_at: 0, expires_at: Date.now() + 86_400_000 });
        let store = await db.open(() => Date.now());
        await store.writer.write(async ({ trx }) => {
          await trx.insertInto('idempotency_keys').values([row('POST /v1/keys', 'old-key'), row('POST /v1/runs', 'old-run')]).execute();
          // As a database written before migration 5 would be.
          await sql`DELETE FROM agentd_migrations WHERE id = 5`.execute(trx);
        });
        await store.close();
        store = await db.open(() => Date.now());
        // Every record of every tenant: the upgrade must have dropped the old ones.
        const left = await store.allTenants(store.db).selectFrom('idempotency_keys').select('route').execute();
        await store.close();
        assert.deepEqual(left.map((r) => r.route), ['POST /v1/runs']);
        if (d.name === 'sqlite') {
          // The runs record still holds the text (it was made up for this test); the keys one is zeroed.
          const file = readFileSync(join(db.location, 'agentd.db'));
          assert.ok(file.includes('old-run') && !file.includes('old-key'), 'secure_delete zeroed the dropped record in the file');
        }
      } finally {
        await db.cleanup();
      }
    });
  });
}
