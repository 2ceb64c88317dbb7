/**
 * TESTPLAN 36 / hardening item 14: the API fuzzed from its own OpenAPI document, on both
 * databases. Seeded (AGENTD_FUZZ_SEED), bounded (AGENTD_FUZZ_REQUESTS per database, default
 * 1500). Oracles on every answer: never a 5xx; every error is the one error body, with a
 * registered code whose status is the answer's; only statuses the operation declares; 2xx bodies
 * match their response schema. After the run, the server's heap is back near its baseline and its
 * RSS bounded.
 *
 * A failure prints the seed and the (shrunk) request: `AGENTD_FUZZ_SEED=<seed> node scripts/test.ts
 * packages/server/test/api-fuzz.test.ts` replays it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ERROR_CODES } from '@agentd/protocol';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';
import { SchemaArbitraries, type FuzzRequest, type Operation } from './helpers/openapi-arbitraries.ts';

const SEED = Number(process.env.AGENTD_FUZZ_SEED ?? 20261201);
const REQUESTS = Number(process.env.AGENTD_FUZZ_REQUESTS ?? 1500);
const doc = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')) as Record<string, any>;

const operations: Operation[] = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ method, path, op })),
);

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema({ $id: 'openapi', components: doc.components }, 'openapi');
/** Response schemas refer to `#/components/…`: point them at the document registered above. */
const rebase = (s: unknown): unknown =>
  JSON.parse(JSON.stringify(s), (k, v) => (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/') ? `openapi${v}` : v));
const responseValidators = new Map<string, (body: unknown) => boolean>();
function responseValidator(o: Operation, status: number): ((body: unknown) => boolean) & { errors?: unknown } {
  const key = `${o.method} ${o.path} ${status}`;
  let v = responseValidators.get(key);
  if (!v) {
    const schema = o.op.responses?.[status]?.content?.['application/json']?.schema;
    v = schema ? ajv.compile(rebase(schema) as object) : () => true;
    responseValidators.set(key, v);
  }
  return v as ((body: unknown) => boolean) & { errors?: unknown };
}

/** What is wrong with one answer, or null. */
function verdict(req: FuzzRequest, status: number, contentType: string, text: string): string | null {
  if (status >= 500) return `answered ${status}: ${text.slice(0, 300)}`;
  const declared = Object.keys(req.operation.op.responses ?? {});
  if (!declared.includes(String(status))) return `answered ${status}, which ${req.method} ${req.operation.path} does not declare (${declared.join(', ')}): ${text.slice(0, 200)}`;
  let body: any;
  try {
    body = contentType.includes('json') ? JSON.parse(text) : text;
  } catch {
    return `answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  if (status >= 400) {
    const e = body?.error;
    const shape = e && typeof e === 'object' && typeof e.code === 'string' && typeof e.message === 'string' && 'details' in e && typeof e.request_id === 'string';
    if (!shape || Object.keys(body).length !== 1) return `answered ${status} without the one error body: ${text.slice(0, 200)}`;
    const registered = (ERROR_CODES as Record<string, { status: number }>)[e.code];
    if (!registered) return `answered ${status} with an unregistered code ${e.code}`;
    if (registered.status !== status) return `answered ${status} with code ${e.code}, registered as ${registered.status}`;
    return null;
  }
  const validate = responseValidator(req.operation, status);
  if (!validate(body)) return `answered ${status} with a body that breaks its schema: ${JSON.stringify(validate.errors).slice(0, 300)}; body ${text.slice(0, 200)}`;
  return null;
}

/**
 * The long-polls (a lease, a signal, an approval or a child run waited for) answer after `wait_ms`,
 * 20 s when it is left out: three of them cost a minute per database. The fuzz is about answers,
 * not waiting, so a well-formed wait (left out, or 0-30000) is sent as at most LONG_POLL_MS; an
 * ill-formed one is sent as generated. The rest of the request is untouched (no re-serialising).
 */
const LONG_POLL_MS = 50;
const resolveRef = (s: any): any => (s && typeof s.$ref === 'string' ? resolveRef(doc.components.schemas[s.$ref.split('/').pop()]) : s);
const waits = new Map<Operation, 'query' | 'body'>();
for (const o of operations) {
  if ((o.op.parameters ?? []).some((p: any) => p.in === 'query' && p.name === 'wait_ms')) waits.set(o, 'query');
  else if (resolveRef(o.op.requestBody?.content?.['application/json']?.schema)?.properties?.wait_ms) waits.set(o, 'body');
}
const longWait = (v: string) => /^\d+$/.test(v) && Number(v) > LONG_POLL_MS && Number(v) <= 30_000;
function shortenLongPoll(req: FuzzRequest): FuzzRequest {
  const where = waits.get(req.operation);
  let { url, payload } = req;
  if (where === 'query') {
    const q = url.indexOf('?');
    const params = q < 0 || q === url.length - 1 ? [] : url.slice(q + 1).split('&');
    const i = params.findIndex((p) => p.split('=', 1)[0] === 'wait_ms');
    if (i < 0) params.push(`wait_ms=${LONG_POLL_MS}`);
    else if (longWait(params[i]!.slice('wait_ms='.length))) params[i] = `wait_ms=${LONG_POLL_MS}`;
    url = `${q < 0 ? url : url.slice(0, q)}?${params.join('&')}`;
  } else if (where === 'body' && payload !== undefined) {
    if (/^\{\s*\}$/.test(payload)) payload = `{"wait_ms":${LONG_POLL_MS}}`;
    else if (!payload.includes('"wait_ms"')) payload = payload.replace(/^\{(?=")/, `{"wait_ms":${LONG_POLL_MS},`);
    else payload = payload.replace(/"wait_ms":(\d+)/g, (m, v: string) => (longWait(v) ? `"wait_ms":${LONG_POLL_MS}` : m));
  }
  if (url === req.url && payload === req.payload) return req;
  const out: FuzzRequest = { operation: req.operation, method: req.method, url, headers: req.headers, payload };
  Object.defineProperty(out, 'operation', { enumerable: false });
  const describe = (req as unknown as Record<symbol, () => string>)[fc.toStringMethod];
  Object.defineProperty(out, fc.toStringMethod, { value: () => `${describe?.call(req) ?? ''} (sent as ${out.method} ${out.url} ${out.payload ?? ''})` });
  return out;
}

const gc = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
/** RSS and heap after garbage collection, bytes. */
async function settledMemory(): Promise<{ rss: number; heap: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

for (const d of await dialects()) {
  describe(`API fuzzed from its OpenAPI document (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let arbs: SchemaArbitraries;
    let keys: { admin: string; viewer: string };
    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      keys = { admin: t.adminKey, viewer: await t.keyFor('viewer') };
      // Real rows for generated requests to reach: an agent, runs, a lease, a secret, a grant.
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
      const runs: string[] = [];
      for (let i = 0; i < 3; i++) runs.push((await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: `n${i}` } } })).json().id);
      const lease = (await t.call('POST', '/v1/worker/lease', { body: { agent: 'hello', max_tasks: 1, wait_ms: 0 } })).json();
      assert.equal((await t.call('POST', '/v1/secrets', { body: { name: 'fuzz_secret', value: 'fuzz-value' } })).statusCode, 201);
      const grant = (await t.call('POST', '/v1/grants', { body: { secret: 'fuzz_secret', agent: 'hello' } })).json();
      const known = new Map<string, unknown[]>([
        ['id', [...runs, grant.id]],
        ['run_id', runs],
        ['lease_id', lease.tasks.map((x: { lease_id: string }) => x.lease_id)],
        ['agent', ['hello']],
        ['name', ['hello', 'fuzz_secret']],
        ['endpoint', ['greet']],
        ['secret', ['fuzz_secret']],
        ['version', [1]],
        ['input', [{ name: 'fuzz' }]],
        ['output', [{ greeting: 'hi' }]],
      ]);
      arbs = new SchemaArbitraries(doc, known);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    // The timeout scales with the request count: a loaded machine is slow, not wrong.
    it(`answers ${REQUESTS} generated requests (seed ${SEED}) with no 5xx, the one error body, declared statuses and schema-true bodies`, { timeout: Math.max(600_000, REQUESTS * 300) }, async () => {
      const statuses = new Map<number, number>();
      const perOperation = new Map<string, number>();
      const baseline = await settledMemory();
      let peak = baseline.rss;
      const heapTrail: number[] = [];
      const rssTrail: number[] = [];
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(fc.oneof(...operations.map((o) => arbs.request(o, keys).map(shortenLongPoll))), async (req) => {
          const res = await t.app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, ...(req.payload !== undefined ? { payload: req.payload } : {}) });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          const op = `${req.method} ${req.operation.path}`;
          perOperation.set(op, (perOperation.get(op) ?? 0) + 1);
          if (++sent % 250 === 0) peak = Math.max(peak, process.memoryUsage().rss);
          if (sent % 1000 === 0) {
            const m = await settledMemory();
            heapTrail.push(m.heap);
            rssTrail.push(m.rss);
          }
          const wrong = verdict(req, res.statusCode, String(res.headers['content-type'] ?? ''), res.body);
          if (wrong) throw new Error(`${req.method} ${req.url.slice(0, 300)} ${JSON.stringify(req.headers)} ${req.payload?.slice(0, 300) ?? ''}\n  → ${wrong}`);
        }),
        { seed: SEED, numRuns: REQUESTS, includeErrorInReport: true },
      );
      const end = await settledMemory();
      const mb = (n: number) => Math.round(n / 1048576);
      t.app.log.info({ statuses: Object.fromEntries(statuses) }, 'fuzz statuses');
      process.stdout.write(
        `# fuzz ${d.name}: ${sent} requests, seed ${SEED}, ${perOperation.size}/${operations.length} operations, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; RSS baseline ${mb(baseline.rss)} MB → ${rssTrail.map(mb).join(' → ')} (peak ${mb(peak)}) → after ${mb(end.rss)} MB; heap + external after GC ${mb(baseline.heap)} MB → ${heapTrail.map(mb).join(' → ')} → ${mb(end.heap)} MB\n`,
      );
      assert.equal(perOperation.size, operations.length, 'every operation was exercised');
      assert.ok((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) > REQUESTS / 20, 'a fair share of requests got through validation');
      // Memory. What JavaScript holds after GC is the leak detector: bounded caches only, so it
      // comes back near its baseline (a shared Ajv that kept every schema it compiled did not).
      // RSS also counts pages the allocator keeps after a peak (PostgreSQL's wire buffers are
      // native memory, and glibc does not hand freed pages back): bounded, not at the baseline.
      assert.ok(end.heap - baseline.heap < 32 * 1048576, `heap + external grew ${mb(end.heap - baseline.heap)} MB over ${sent} requests`);
      assert.ok(end.rss - baseline.rss < 160 * 1048576, `RSS grew ${mb(end.rss - baseline.rss)} MB over ${sent} requests`);
    });
  });
}
