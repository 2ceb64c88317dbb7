/**
 * The LLM runtime benchmark, run alone (not part of `npm run bench`):
 *
 *   node --conditions=@agentd/source bench/src/llm-bench.ts
 *
 * Per backend (SQLite, then PostgreSQL in its own database `agentd_bench_llm`), one JSON line on
 * stdout. A fake OpenAI-compatible model runs in the bench process (fake-model.ts); the server is
 * `agentd serve --config` in a child process with that model as alias `fake`.
 *
 * 1. Overhead against the model called directly. The same model answer (AGENTD_BENCH_LLM_CHUNKS
 *    pieces, default 8) is fetched AGENTD_BENCH_LLM_SAMPLES times (default 200, after 20 warm-up)
 *    by the bench itself through the AI SDK (`streamText`, the provider the server uses), and as
 *    many times as a one-step run of an LLM agent, alternately. A run's clock starts just before
 *    `POST /v1/runs` and stops when the tenant's SSE stream delivers its first `run.output.delta`
 *    (time to first token) and its `run.succeeded` (the step); the direct call's at the first
 *    text delta and the end of the stream. The overheads are the differences of the medians: they
 *    include the create request, the hand-off to the runner, the loop's commits (run.llm.step, the
 *    output, run.succeeded) and the SSE delivery, so they bound what the runtime adds from above.
 * 2. AGENTD_BENCH_LLM_CONCURRENT runs at once (default 1000), each streaming
 *    AGENTD_BENCH_LLM_STREAM_CHUNKS pieces (default 20) AGENTD_BENCH_LLM_GAP_MS apart (default
 *    100), the server's AGENTD_LLM_CONCURRENCY set to that many: the event lag (a piece written by
 *    the model → the `run.output.delta` holding it heard on the SSE stream; the deltas are
 *    coalesced, 50 ms by default, so that is part of it), the time for all of them, and the
 *    server's RSS. Checked: every run succeeded with the whole text.
 * 3. AGENTD_BENCH_LLM_PARKED runs (default 1000) of the agent redeployed with a gated tool
 *    (`approval: always`): each parks on its call's approval (no lease, no loop), and the
 *    server's RSS is read with all of them waiting; then every approval is rejected and the time
 *    until all succeeded (each leased again, rebuilt from its events, told of the refusal) taken.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { streamText } from 'ai';
import { Agentd } from '@agentd/sdk';
import type { RunEvent } from '@agentd/protocol';
import { FakeModel, PIECE } from './fake-model.ts';
import { BenchHttp } from './http-client.ts';
import { log } from './log.ts';
import { createBenchDatabase, postgresUnreachable } from './postgres-db.ts';
import { startServerProcess } from './server-process.ts';
import { ms, percentile, sleep } from './stats.ts';

const SAMPLES = Number(process.env.AGENTD_BENCH_LLM_SAMPLES ?? 200);
const CHUNKS = Number(process.env.AGENTD_BENCH_LLM_CHUNKS ?? 8);
const CONCURRENT = Number(process.env.AGENTD_BENCH_LLM_CONCURRENT ?? 1000);
const STREAM_CHUNKS = Number(process.env.AGENTD_BENCH_LLM_STREAM_CHUNKS ?? 20);
const GAP_MS = Number(process.env.AGENTD_BENCH_LLM_GAP_MS ?? 100);
const PARKED = Number(process.env.AGENTD_BENCH_LLM_PARKED ?? 1000);
const BACKENDS = (process.env.AGENTD_BENCH_BACKENDS ?? 'sqlite,postgres').split(',');
const PG_ADMIN = process.env.AGENTD_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'sk-bench-llm';
const AGENT = 'bench-llm';

/** What the SSE stream told about one run, on the bench's clock. */
interface Heard {
  deltas: { at: number; length: number }[];
  text: string;
  done: number;
  status: string;
}

class RunEvents {
  readonly runs = new Map<string, Heard>();
  readonly #waiters = new Map<string, () => void>();
  readonly #abort = new AbortController();
  #running: Promise<void> | null = null;

  readonly client: Agentd;

  constructor(client: Agentd) {
    this.client = client;
  }

  start(): void {
    this.#running = (async () => {
      try {
        for await (const e of this.client.events.stream({ agent: AGENT, type: 'run.*', signal: this.#abort.signal }) as AsyncIterable<RunEvent>) this.#on(e);
      } catch (err) {
        if (!this.#abort.signal.aborted) throw err;
      }
    })();
  }

  #on(e: RunEvent): void {
    const at = performance.now();
    const h = this.#heard(e.run_id);
    const data = (e as { data?: Record<string, unknown> }).data ?? {};
    if (e.type === 'run.output.delta') {
      h.text += String(data.text ?? '');
      h.deltas.push({ at, length: h.text.length });
    } else if (['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out'].includes(e.type)) {
      h.done = at;
      h.status = e.type;
      this.#waiters.get(e.run_id)?.();
    }
  }

  #heard(runId: string): Heard {
    let h = this.runs.get(runId);
    if (!h) this.runs.set(runId, (h = { deltas: [], text: '', done: 0, status: '' }));
    return h;
  }

  ended(runId: string): Promise<Heard> {
    const h = this.#heard(runId);
    if (h.done) return Promise.resolve(h);
    return new Promise((resolve) => this.#waiters.set(runId, () => resolve(h)));
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }
}

function expect(status: number, text: string, want: number): void {
  if (status !== want) throw new Error(`expected ${want}, got ${status}: ${text.slice(0, 300)}`);
}

async function benchBackend(backend: 'sqlite' | 'postgres', databaseUrl?: string): Promise<Record<string, unknown>> {
  const model = await new FakeModel().start();
  const dataDir = mkdtempSync(join(tmpdir(), 'agentd-llm-bench-'));
  const config = join(dataDir, 'agentd.yaml');
  writeFileSync(config, `models:\n  fake:\n    provider: openai-compatible\n    base_url: ${model.baseUrl}\n    model: fake-1\n    api_key_secret: bench_key\n    max_retries: 0\n`);
  const adminKey = randomBytes(24).toString('hex');
  process.env.AGENTD_LLM_CONCURRENCY = String(Math.max(100, CONCURRENT));
  const server = await startServerProcess({ dataDir, adminKey, databaseUrl, nodeArgs: [], serverArgs: ['--config', config] });
  const http = new BenchHttp(server.url, adminKey, 8);
  const client = new Agentd({ baseURL: server.url, apiKey: adminKey });
  const events = new RunEvents(client);
  const load0 = loadavg()[0];
  try {
    expect((await http.post('/v1/secrets', JSON.stringify({ name: 'bench_key', value: KEY }))).status, 'secret', 201);
    await client.agents.deploy({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: AGENT }, spec: { runtime: 'llm', model: 'fake', instructions: 'Answer.' } });
    events.start();
    await sleep(200); // the stream is open before the first run
    const direct = createOpenAICompatible({ name: 'fake', baseURL: model.baseUrl, apiKey: KEY, includeUsage: true }).chatModel('fake-1');
    let tags = 0;
    const tag = () => `bench ${backend} ${++tags}`;
    const viaDirect = async () => {
      const t0 = performance.now();
      let first = 0;
      const r = streamText({ model: direct, system: 'Answer.', prompt: tag(), maxRetries: 0 });
      for await (const part of r.fullStream) if (part.type === 'text-delta' && !first) first = performance.now();
      return { ttft: first - t0, total: performance.now() - t0 };
    };
    const viaRun = async () => {
      const message = tag();
      const t0 = performance.now();
      const r = await http.post('/v1/runs', JSON.stringify({ agent: AGENT, endpoint: 'chat', input: { message } }));
      expect(r.status, r.text, 201);
      const h = await events.ended((JSON.parse(r.text) as { id: string }).id);
      if (h.status !== 'run.succeeded' || h.deltas.length === 0) throw new Error(`run ended ${h.status} with ${h.deltas.length} deltas`);
      const m = model.times.get(message);
      return { ttft: h.deltas[0].at - t0, total: h.done - t0, toModel: m ? m.request - t0 : NaN, afterModel: m ? h.done - m.end : NaN };
    };

    // 1. Overhead against the direct call, alternately.
    model.chunks = CHUNKS;
    model.gapMs = 0;
    for (let i = 0; i < 20; i++) {
      await viaDirect();
      await viaRun();
    }
    const d: { ttft: number; total: number }[] = [];
    const v: { ttft: number; total: number; toModel: number; afterModel: number }[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      d.push(await viaDirect());
      v.push(await viaRun());
    }
    log(`${backend}: ${SAMPLES} direct calls and ${SAMPLES} one-step runs`);
    const p = (xs: number[], q: number) => percentile(xs, q);
    const directTtft = d.map((x) => x.ttft);
    const directTotal = d.map((x) => x.total);
    const runTtft = v.map((x) => x.ttft);
    const runTotal = v.map((x) => x.total);

    // 2. Concurrent streaming runs.
    model.chunks = STREAM_CHUNKS;
    model.gapMs = GAP_MS;
    const rss0 = server.memory();
    const cpu0 = { server: server.cpuSeconds(), bench: process.cpuUsage() };
    const messages: string[] = Array.from({ length: CONCURRENT }, () => tag());
    const t0 = performance.now();
    const ids: { id: string; message: string }[] = [];
    for (let i = 0; i < messages.length; i += 500) {
      const slice = messages.slice(i, i + 500);
      const r = await http.post('/v1/runs/batch', JSON.stringify({ runs: slice.map((message) => ({ agent: AGENT, endpoint: 'chat', input: { message } })) }));
      expect(r.status, r.text, 201);
      (JSON.parse(r.text) as { data: { id: string }[] }).data.forEach((run, j) => ids.push({ id: run.id, message: slice[j] }));
    }
    let peakStreams = 0;
    const sampler = setInterval(() => {
      const open = [...model.times.values()].filter((t) => t.end === 0).length;
      peakStreams = Math.max(peakStreams, open);
    }, 50);
    let rssMax = 0;
    const rssSampler = setInterval(() => (rssMax = Math.max(rssMax, server.memory()?.rssMb ?? 0)), 250);
    const heard = await Promise.all(ids.map((r) => events.ended(r.id)));
    const elapsed = performance.now() - t0;
    const cpu1 = server.cpuSeconds();
    const benchCpu = process.cpuUsage(cpu0.bench);
    clearInterval(sampler);
    clearInterval(rssSampler);
    const want = PIECE.repeat(STREAM_CHUNKS);
    const lags: number[] = [];
    const firstLags: number[] = [];
    let bad = 0;
    heard.forEach((h, i) => {
      const m = model.times.get(ids[i].message);
      if (h.status !== 'run.succeeded' || h.text !== want || !m) {
        bad++;
        return;
      }
      for (const delta of h.deltas) lags.push(delta.at - m.pieces[Math.ceil(delta.length / PIECE.length) - 1]);
      firstLags.push(h.deltas[0].at - m.pieces[0]);
    });
    if (bad > 0) throw new Error(`${bad} of ${CONCURRENT} concurrent runs did not succeed with the whole text`);
    log(`${backend}: ${CONCURRENT} concurrent streaming runs in ${Math.round(elapsed)} ms`);
    const mem = server.memory();
    const parked = await benchParked(client, http, events, server, tag);
    log(`${backend}: ${PARKED} parked runs resumed in ${parked.parked_resume_seconds} s`);
    return {
      backend,
      ttft_overhead_p50_ms: ms(p(runTtft, 50) - p(directTtft, 50)),
      step_overhead_p50_ms: ms(p(runTotal, 50) - p(directTotal, 50)),
      direct_ttft_p50_ms: ms(p(directTtft, 50)),
      direct_step_p50_ms: ms(p(directTotal, 50)),
      run_ttft_p50_ms: ms(p(runTtft, 50)),
      run_ttft_p99_ms: ms(p(runTtft, 99)),
      run_step_p50_ms: ms(p(runTotal, 50)),
      run_step_p99_ms: ms(p(runTotal, 99)),
      create_to_model_p50_ms: ms(p(v.map((x) => x.toModel), 50)),
      model_end_to_succeeded_p50_ms: ms(p(v.map((x) => x.afterModel), 50)),
      samples: SAMPLES,
      chunks: CHUNKS,
      concurrent_runs: CONCURRENT,
      concurrent_peak_open_streams: peakStreams,
      concurrent_seconds: ms(elapsed / 1000),
      concurrent_server_cpu_pct: cpu1 !== null && cpu0.server !== null ? Math.round(((cpu1 - cpu0.server) * 1e5) / elapsed) : null,
      concurrent_bench_cpu_pct: Math.round((benchCpu.user + benchCpu.system) / 10 / elapsed),
      event_lag_p50_ms: ms(p(lags, 50)),
      event_lag_p99_ms: ms(p(lags, 99)),
      first_delta_lag_p99_ms: ms(p(firstLags, 99)),
      delta_events: lags.length,
      stream_chunks: STREAM_CHUNKS,
      gap_ms: GAP_MS,
      server_rss_mb_before: rss0?.rssMb ?? null,
      server_rss_mb_max: rssMax || null,
      server_peak_rss_mb: mem?.peakRssMb ?? null,
      ...parked,
      verified: true,
      loadavg_1m_before: load0,
      loadavg_1m_after: loadavg()[0],
      node: process.version,
    };
  } finally {
    // Teardown: a stream that fails to stop must not hide the result or the error above; say so.
    await events.stop().catch((err: unknown) => process.stderr.write(`llm-bench: stopping the event stream failed: ${(err as Error).message}\n`));
    await http.close();
    await server.stop();
    await model.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Phase 3: PARKED runs waiting on their tool call's approval at once, then all rejected. */
async function benchParked(client: Agentd, http: BenchHttp, events: RunEvents, server: { memory(): { rssMb: number } | null }, tag: () => string): Promise<Record<string, unknown>> {
  if (PARKED <= 0) return {};
  await client.agents.deploy({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'bench-refund' }, spec: { runtime: 'worker', endpoints: { issue: { input: { type: 'object' } } } } });
  await client.agents.deploy({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: AGENT }, spec: { runtime: 'llm', model: 'fake', instructions: 'Answer.', tools: [{ agent: 'bench-refund', endpoint: 'issue', approval: 'always' }] } });
  await sleep(1500); // the runner's list of LLM agents and their versions settle
  const rss0 = server.memory()?.rssMb ?? null;
  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < PARKED; i += 500) {
    const n = Math.min(500, PARKED - i);
    const r = await http.post('/v1/runs/batch', JSON.stringify({ runs: Array.from({ length: n }, () => ({ agent: AGENT, endpoint: 'chat', input: { message: tag() } })) }));
    expect(r.status, r.text, 201);
    for (const run of (JSON.parse(r.text) as { data: { id: string }[] }).data) ids.push(run.id);
  }
  const wanted = new Set(ids);
  let pending: string[] = [];
  for (;;) {
    pending = [];
    for await (const a of client.approvals.list({ status: 'pending', agent: AGENT, limit: 200 })) if (wanted.has(a.run_id)) pending.push(a.id);
    if (pending.length === PARKED) break;
    if (performance.now() - t0 > 600_000) throw new Error(`only ${pending.length} of ${PARKED} runs parked within 10 minutes`);
    await sleep(250);
  }
  const parkedSeconds = (performance.now() - t0) / 1000;
  await sleep(2000); // what the runs left behind is collected
  const rssParked = server.memory()?.rssMb ?? null;
  const r0 = performance.now();
  for (let i = 0; i < pending.length; i += 64) {
    await Promise.all(pending.slice(i, i + 64).map(async (id) => expect((await http.post(`/v1/approvals/${id}/reject`, JSON.stringify({ reason: 'bench' }))).status, 'reject', 200)));
  }
  const rejectSeconds = (performance.now() - r0) / 1000;
  const heard = await Promise.all(ids.map((id) => events.ended(id)));
  const bad = heard.filter((h) => h.status !== 'run.succeeded').length;
  if (bad > 0) throw new Error(`${bad} of ${PARKED} parked runs did not succeed after the rejection`);
  return {
    parked_runs: PARKED,
    parked_seconds: ms(parkedSeconds),
    server_rss_mb_parked_before: rss0,
    server_rss_mb_parked: rssParked,
    parked_reject_seconds: ms(rejectSeconds),
    parked_resume_seconds: ms((performance.now() - r0) / 1000),
  };
}

let failed = false;
const line = async (backend: 'sqlite' | 'postgres', url?: string) => {
  try {
    process.stdout.write(`${JSON.stringify(await benchBackend(backend, url))}\n`);
  } catch (err) {
    failed = true;
    process.stdout.write(`${JSON.stringify({ backend, failed: String((err as Error).stack ?? err) })}\n`);
  }
};
if (BACKENDS.includes('sqlite')) await line('sqlite');
if (BACKENDS.includes('postgres')) {
  const why = await postgresUnreachable(PG_ADMIN);
  if (why) process.stdout.write(`${JSON.stringify({ backend: 'postgres', skipped: why })}\n`);
  else {
    const db = await createBenchDatabase(PG_ADMIN, 'agentd_bench_llm');
    try {
      await line('postgres', db.url);
    } finally {
      await db.drop();
    }
  }
}
process.exit(failed ? 1 : 0);
