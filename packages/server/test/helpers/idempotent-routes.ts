/**
 * Every route that takes `Idempotency-Key`, as one table the idempotency tests loop over (replay,
 * reuse with another body, failed first request, and atomicity of record and change). `setup`
 * makes fresh state for one request (a pending approval, a run to cancel…); `effect` reads back
 * what the request changes, so a test can tell whether the change happened.
 */
import { HELLO_MANIFEST, type TestApp } from './test-app.ts';
import { agent, ok, read, unique, type IdempotentRoute } from './idempotent-route-kit.ts';
import { OUTBOUND_IDEMPOTENT_ROUTES } from './idempotent-routes-outbound.ts';

export type { IdempotentRequest, IdempotentRoute } from './idempotent-route-kit.ts';
export { IDEMPOTENCY_WEBHOOKS, closeIdempotencyFixtures } from './idempotent-routes-outbound.ts';

/**
 * POST routes that do not take Idempotency-Key, with the reason: the worker protocol is fenced by
 * its lease (and a worker approval, and a call, by its own `key`), a decision link is single use, and a rewrap
 * or a config reload repeated is a no-op (a reload applies the file as it is then). A trigger
 * delivery is deduplicated by its sender's own message id (`webhook-id`, or `Idempotency-Key` in
 * bearer mode) in the receipts of triggers/, not by this table.
 */
export const NOT_IDEMPOTENT_BY_KEY = new Set([
  'POST /v1/worker/lease',
  'POST /v1/worker/complete',
  'POST /v1/leases/{lease_id}/heartbeat',
  'POST /v1/leases/{lease_id}/complete',
  'POST /v1/leases/{lease_id}/fail',
  'POST /v1/leases/{lease_id}/release',
  'POST /v1/leases/{lease_id}/events',
  'POST /v1/leases/{lease_id}/approvals',
  'POST /v1/leases/{lease_id}/steps',
  'POST /v1/leases/{lease_id}/signals/{name}/wait',
  'POST /v1/leases/{lease_id}/calls',
  'POST /v1/approval-links/{token}',
  'POST /v1/secrets/rewrap',
  'POST /v1/reload',
  'POST /v1/hooks/{id}',
]);

export const GATED_MANIFEST = {
  ...HELLO_MANIFEST,
  metadata: { name: 'idem-gated' },
  spec: { runtime: 'worker', endpoints: { pay: { approval: { prompt: 'Pay?' } } } },
};

/** Deploys `hello` and `idem-gated` once; idempotent itself (a redeploy makes a new version, harmless). */
export async function deployFixtures(t: TestApp): Promise<void> {
  for (const m of [HELLO_MANIFEST, GATED_MANIFEST]) await ok(t, 'POST', '/v1/agents', m);
}

async function pendingApproval(t: TestApp): Promise<string> {
  const run = await ok(t, 'POST', '/v1/runs', { agent: 'idem-gated', endpoint: 'pay', input: { name: 'x' } });
  const [a] = (await ok(t, 'GET', `/v1/approvals?status=pending&run=${run.id}`)).data;
  return a.id;
}

/** A run of `hello` leased by a fresh worker key, for the findings route. */
async function leased(t: TestApp): Promise<{ leaseId: string; runId: string; key: string }> {
  const run = await ok(t, 'POST', '/v1/runs', { agent: 'hello', endpoint: 'greet', input: { name: `lease-${unique()}` } });
  const key = (await t.engine.keys.create({ tenantId: t.tenantId, role: 'worker', agents: ['hello'] })).key;
  for (let i = 0; i < 50; i++) {
    const tasks = (await ok(t, 'POST', '/v1/worker/lease', { agent: 'hello', max_tasks: 100, wait_ms: 0 }, key)).tasks as { lease_id: string; run_id: string }[];
    const mine = tasks.find((x) => x.run_id === run.id);
    // Other queued runs of `hello` are completed so they stop competing for the lease.
    for (const other of tasks.filter((x) => x.run_id !== run.id)) await ok(t, 'POST', `/v1/leases/${other.lease_id}/complete`, { output: { greeting: 'hi' } }, key);
    if (mine) return { leaseId: mine.lease_id, runId: run.id, key };
  }
  throw new Error(`run ${run.id} was never leased`);
}

const approvalEffect = (t: TestApp, id: string) => async () => {
  const a = (await read(t, `/v1/approvals/${id}`)).body;
  return { status: a.status, votes: a.votes, run: (await read(t, `/v1/runs/${a.run_id}`)).body.status };
};

export const IDEMPOTENT_ROUTES: IdempotentRoute[] = [
  ...OUTBOUND_IDEMPOTENT_ROUTES,
  {
    route: 'POST /v1/agents',
    status: 201,
    setup: async (t) => {
      const name = `idem-${unique()}`;
      return { url: '/v1/agents', body: agent(name), other: agent(name, 'changed'), invalid: { url: '/v1/agents', body: { apiVersion: 'nope' } }, effect: () => read(t, `/v1/agents/${name}`) };
    },
  },
  {
    route: 'POST /v1/workflows',
    status: 201,
    setup: async (t) => {
      const name = `idem-${unique()}`;
      const workflow = (description: string) => ({ apiVersion: 'agentd.dev/v1', kind: 'Workflow', metadata: { name, description }, spec: { steps: [{ id: 'greet', agent: 'hello', endpoint: 'greet' }] } });
      return { url: '/v1/workflows', body: workflow('first'), other: workflow('changed'), invalid: { url: '/v1/workflows', body: { ...workflow('bad'), kind: 'Agent' } }, effect: () => read(t, `/v1/workflows/${name}`) };
    },
  },
  {
    route: 'POST /v1/workflows/{name}/runs',
    status: 201,
    setup: async (t) => {
      const name = `idem-${unique()}`;
      await ok(t, 'POST', '/v1/workflows', { apiVersion: 'agentd.dev/v1', kind: 'Workflow', metadata: { name }, spec: { steps: [{ id: 'greet', agent: 'hello', endpoint: 'greet', input: { name: '{% input.name %}' } }] } });
      return {
        url: `/v1/workflows/${name}/runs`,
        body: { input: { name: 'first' } },
        other: { input: { name: 'other' } },
        invalid: { url: '/v1/workflows/no-such-workflow/runs', body: { input: {} } },
        effect: async () => (await read(t, `/v1/runs?agent=${name}`)).body.data.map((r: { id: string }) => r.id),
      };
    },
  },
  ...(['disable', 'enable'] as const).map(
    (action): IdempotentRoute => ({
      route: `POST /v1/agents/{name}/endpoints/{endpoint}/${action}`,
      status: 200,
      setup: async (t) => {
        const name = `idem-${unique()}`;
        await ok(t, 'POST', '/v1/agents', agent(name));
        if (action === 'enable') await ok(t, 'POST', `/v1/agents/${name}/endpoints/greet/disable`);
        return { url: `/v1/agents/${name}/endpoints/greet/${action}`, invalid: { url: `/v1/agents/${name}/endpoints/nope/${action}` }, effect: () => read(t, `/v1/agents/${name}`) };
      },
    }),
  ),
  {
    route: 'POST /v1/approvals/{id}/approve',
    status: 200,
    setup: async (t) => {
      const id = await pendingApproval(t);
      return { url: `/v1/approvals/${id}/approve`, body: { comment: 'fine' }, other: { comment: 'other' }, invalid: { url: '/v1/approvals/apr_nope/approve', body: {} }, effect: approvalEffect(t, id) };
    },
  },
  {
    route: 'POST /v1/approvals/{id}/reject',
    status: 200,
    setup: async (t) => {
      const id = await pendingApproval(t);
      return { url: `/v1/approvals/${id}/reject`, body: { reason: 'no' }, other: { reason: 'never' }, invalid: { url: `/v1/approvals/${id}/reject`, body: {} }, effect: approvalEffect(t, id) };
    },
  },
  {
    route: 'POST /v1/approvals/{id}/link',
    status: 201,
    stateless: true,
    sensitive: true,
    setup: async (t) => {
      const id = await pendingApproval(t);
      return { url: `/v1/approvals/${id}/link`, body: { decision: 'approve' }, other: { decision: 'reject' }, invalid: { url: '/v1/approvals/apr_nope/link', body: {} }, effect: approvalEffect(t, id) };
    },
  },
  {
    route: 'POST /v1/keys',
    status: 201,
    sensitive: true,
    setup: async (t) => {
      const name = `idem-${unique()}`;
      return {
        url: '/v1/keys',
        body: { role: 'viewer', name },
        other: { role: 'operator', name },
        invalid: { url: '/v1/keys', body: { role: 'emperor', name } },
        effect: async () => (await read(t, '/v1/keys?limit=500')).body.data.filter((k: { name: string | null }) => k.name === name),
      };
    },
  },
  {
    route: 'POST /v1/secrets',
    status: 201,
    setup: async (t) => {
      const name = `idem_${unique()}`;
      return { url: '/v1/secrets', body: { name, value: `v-${unique()}` }, other: { name, value: `w-${unique()}` }, invalid: { url: '/v1/secrets', body: { name: 'Bad Name', value: 'x' } }, effect: () => read(t, `/v1/secrets/${name}`) };
    },
  },
  {
    route: 'POST /v1/secrets/{name}/rotate',
    status: 200,
    setup: async (t) => {
      const name = `idem_${unique()}`;
      await ok(t, 'POST', '/v1/secrets', { name, value: `v-${unique()}` });
      return { url: `/v1/secrets/${name}/rotate`, body: { value: `r-${unique()}` }, other: { value: `s-${unique()}` }, invalid: { url: '/v1/secrets/no_such/rotate', body: { value: 'x' } }, effect: () => read(t, `/v1/secrets/${name}`) };
    },
  },
  {
    route: 'POST /v1/grants',
    status: 201,
    setup: async (t) => {
      const name = `idem_${unique()}`;
      await ok(t, 'POST', '/v1/secrets', { name, value: `v-${unique()}` });
      return {
        url: '/v1/grants',
        body: { secret: name, agent: 'hello' },
        other: { secret: name, agent: 'hello', endpoint: 'greet' },
        invalid: { url: '/v1/grants', body: { secret: 'no_such', agent: 'hello' } },
        effect: async () => (await read(t, `/v1/grants?secret=${name}`)).body.data,
      };
    },
  },
  {
    route: 'POST /v1/leases/{lease_id}/findings',
    status: 201,
    setup: async (t) => {
      const { leaseId, runId, key } = await leased(t);
      const finding = (summary: string) => ({ findings: [{ severity: 'warning', summary }] });
      return { url: `/v1/leases/${leaseId}/findings`, body: finding('once'), other: finding('twice'), key, invalid: { url: `/v1/leases/${leaseId}/findings`, body: { findings: [] } }, effect: async () => (await read(t, `/v1/runs/${runId}/findings`)).body.data };
    },
  },
  {
    route: 'POST /v1/runs',
    status: 201,
    setup: async (t) => {
      const name = `idem-${unique()}`;
      const runs = async () => (await read(t, '/v1/runs?limit=500')).body.data.filter((r: { input: { name?: string } }) => r.input.name === name).map((r: { id: string }) => r.id);
      return { url: '/v1/runs', body: { agent: 'hello', endpoint: 'greet', input: { name } }, other: { agent: 'hello', endpoint: 'greet', input: { name, x: 1 } }, invalid: { url: '/v1/runs', body: { agent: 'hello', endpoint: 'greet', input: {} } }, effect: runs };
    },
  },
  {
    route: 'POST /v1/runs/batch',
    status: 201,
    setup: async (t) => {
      const name = `idem-${unique()}`;
      const runs = async () => (await read(t, '/v1/runs?limit=500')).body.data.filter((r: { input: { name?: string } }) => r.input.name === name).map((r: { id: string }) => r.id);
      const item = { agent: 'hello', endpoint: 'greet', input: { name } };
      return { url: '/v1/runs/batch', body: { runs: [item, item] }, other: { runs: [item] }, invalid: { url: '/v1/runs/batch', body: { runs: [item, { ...item, input: {} }] } }, effect: runs };
    },
  },
  {
    route: 'POST /v1/runs/{id}/cancel',
    status: 200,
    setup: async (t) => {
      const run = await ok(t, 'POST', '/v1/runs', { agent: 'hello', endpoint: 'greet', input: { name: `cancel-${unique()}` } });
      return { url: `/v1/runs/${run.id}/cancel`, body: { reason: 'a' }, other: { reason: 'b' }, invalid: { url: '/v1/runs/run_nope/cancel', body: {} }, effect: async () => (await read(t, `/v1/runs/${run.id}`)).body.status };
    },
  },
  {
    route: 'POST /v1/runs/{id}/retry',
    status: 201,
    setup: async (t) => {
      // A workflow whose one step fails as it starts (greet's input takes no other field): failed at once.
      const name = `idem-${unique()}`;
      await ok(t, 'POST', '/v1/workflows', { apiVersion: 'agentd.dev/v1', kind: 'Workflow', metadata: { name }, spec: { steps: [{ id: 'greet', agent: 'hello', endpoint: 'greet', input: { name: '{% input.name %}', extra: true } }] } });
      const failed = await ok(t, 'POST', `/v1/workflows/${name}/runs`, { input: { name } });
      return {
        url: `/v1/runs/${failed.id}/retry`,
        body: {},
        other: { deadline: new Date(Date.now() + 3_600_000).toISOString() },
        invalid: { url: '/v1/runs/run_nope/retry', body: {} },
        effect: async () => (await read(t, `/v1/runs?agent=${name}`)).body.data.map((r: { id: string }) => r.id),
      };
    },
  },
  {
    route: 'POST /v1/schedules',
    status: 201,
    setup: async (t) => {
      const id = `idem-${unique()}`;
      const body = { id, cron: '0 3 * * *', target: { agent: 'hello', endpoint: 'greet' }, input: { name: id } };
      return { url: '/v1/schedules', body, other: { ...body, cron: '0 4 * * *' }, invalid: { url: '/v1/schedules', body: { ...body, cron: 'never' } }, effect: () => read(t, `/v1/schedules/${id}`) };
    },
  },
  ...(['pause', 'resume'] as const).map(
    (action): IdempotentRoute => ({
      route: `POST /v1/schedules/{id}/${action}`,
      status: 200,
      setup: async (t) => {
        const id = `idem-${unique()}`;
        await ok(t, 'POST', '/v1/schedules', { id, cron: '0 3 * * *', target: { agent: 'hello', endpoint: 'greet' }, input: { name: id }, paused: action === 'resume' });
        return { url: `/v1/schedules/${id}/${action}`, invalid: { url: `/v1/schedules/nope-${unique()}/${action}` }, effect: async () => (await read(t, `/v1/schedules/${id}`)).body.paused };
      },
    }),
  ),
  {
    route: 'POST /v1/schedules/{id}/run',
    status: 201,
    setup: async (t) => {
      const id = `idem-${unique()}`;
      await ok(t, 'POST', '/v1/schedules', { id, cron: '0 3 * * *', target: { agent: 'hello', endpoint: 'greet' }, input: { name: id } });
      return { url: `/v1/schedules/${id}/run`, invalid: { url: `/v1/schedules/nope-${unique()}/run` }, effect: async () => (await read(t, `/v1/schedules/${id}/runs`)).body.data.map((f: { run_id: string }) => f.run_id) };
    },
  },
  {
    route: 'POST /v1/sessions',
    status: 201,
    setup: async (t) => {
      const tag = unique();
      return {
        url: '/v1/sessions',
        body: { agent: 'hello', metadata: { tag } },
        other: { agent: 'hello', metadata: { tag: `${tag}-other` } },
        invalid: { url: '/v1/sessions', body: { agent: `nope-${tag}` } },
        effect: async () => (await read(t, '/v1/sessions?limit=500')).body.data.filter((s: { metadata: { tag?: string } }) => s.metadata.tag === tag).length,
      };
    },
  },
  {
    route: 'POST /v1/sessions/{id}/messages',
    status: 201,
    setup: async (t) => {
      const s = await ok(t, 'POST', '/v1/sessions', { agent: 'hello' });
      return { url: `/v1/sessions/${s.id}/messages`, body: { content: { name: 'a' } }, other: { content: { name: 'b' } }, invalid: { url: `/v1/sessions/ses_nope${unique()}/messages`, body: { content: { name: 'a' } } }, effect: async () => (await read(t, `/v1/sessions/${s.id}`)).body.message_count };
    },
  },
  ...(['pause', 'resume', 'end'] as const).map(
    (action): IdempotentRoute => ({
      route: `POST /v1/sessions/{id}/${action}`,
      status: 200,
      setup: async (t) => {
        const s = await ok(t, 'POST', '/v1/sessions', { agent: 'hello' });
        if (action === 'resume') await ok(t, 'POST', `/v1/sessions/${s.id}/pause`);
        const bodies = action === 'end' ? { body: { reason: 'a' }, other: { reason: 'b' } } : {};
        return { url: `/v1/sessions/${s.id}/${action}`, ...bodies, invalid: { url: `/v1/sessions/ses_nope${unique()}/${action}` }, effect: async () => (await read(t, `/v1/sessions/${s.id}`)).body.status };
      },
    }),
  ),
  {
    route: 'POST /v1/sessions/{id}/fork',
    status: 201,
    setup: async (t) => {
      const tag = unique();
      const s = await ok(t, 'POST', '/v1/sessions', { agent: 'hello', metadata: { tag } });
      return {
        url: `/v1/sessions/${s.id}/fork`,
        body: {},
        other: { metadata: { tag, other: true } },
        invalid: { url: `/v1/sessions/ses_nope${unique()}/fork`, body: {} },
        effect: async () => (await read(t, '/v1/sessions?limit=500')).body.data.filter((x: { metadata: { tag?: string } }) => x.metadata.tag === tag).length,
      };
    },
  },
  {
    route: 'POST /v1/runs/{id}/signals/{name}',
    status: 202,
    setup: async (t) => {
      const run = await ok(t, 'POST', '/v1/runs', { agent: 'hello', endpoint: 'greet', input: { name: `signal-${unique()}` } });
      return {
        url: `/v1/runs/${run.id}/signals/go`,
        body: { n: 1 },
        other: { n: 2 },
        invalid: { url: '/v1/runs/run_nope/signals/go', body: { n: 1 } },
        effect: async () => (await read(t, `/v1/runs/${run.id}/signals`)).body.data.map((x: { payload: unknown }) => x.payload),
      };
    },
  },
];
