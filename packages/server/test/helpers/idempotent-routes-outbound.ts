/**
 * The idempotency table's rows for the routes that reach outside: outbound webhooks, inbound
 * triggers and MCP servers (with the loopback egress policy and the one MCP test server they need).
 */
import { EgressPolicy } from '../../src/egress/index.ts';
import { startMcpTestServer, type McpTestServer } from './mcp-test-server.ts';
import type { TestApp } from './test-app.ts';
import { ok, read, unique, type IdempotentRoute } from './idempotent-route-kit.ts';

/**
 * The egress policy the idempotency suites' apps run with: the webhook fixtures subscribe a
 * loopback URL (nothing listens there, and no delivery loop runs) so no name needs DNS.
 */
export const IDEMPOTENCY_WEBHOOKS = { egress: new EgressPolicy(['127.0.0.1']) };
const HOOK_URL = 'http://127.0.0.1:9/hook';

async function webhookWithDelivery(t: TestApp): Promise<{ webhook: string; delivery: string }> {
  const webhook = (await ok(t, 'POST', '/v1/webhooks', { url: HOOK_URL, events: ['run.queued'], description: `idem-${unique()}` })).id as string;
  await ok(t, 'POST', '/v1/runs', { agent: 'hello', endpoint: 'greet', input: { name: `hook-${unique()}` } });
  const [delivery] = (await ok(t, 'GET', `/v1/webhooks/${webhook}/deliveries`)).data as { id: string }[];
  // Only a finished delivery can be redelivered: this one is given up by hand (no loop runs here).
  await t.store.writer.write(({ trx }) => trx.updateTable('webhook_deliveries').set({ status: 'failed', attempts: 1, next_attempt_at: null }).where('tenant_id', '=', t.tenantId).where('id', '=', delivery.id).execute());
  return { webhook, delivery: delivery.id };
}

let mcpServer: Promise<McpTestServer> | undefined;
/** One MCP test server for the MCP routes, started on first use; `closeIdempotencyFixtures` stops it. */
const mcpUrl = async () => (await (mcpServer ??= startMcpTestServer())).url;
export async function closeIdempotencyFixtures(): Promise<void> {
  const server = mcpServer;
  mcpServer = undefined;
  await (await server)?.close();
}

export const OUTBOUND_IDEMPOTENT_ROUTES: IdempotentRoute[] = [
  {
    route: 'POST /v1/mcp-servers',
    status: 201,
    setup: async (t) => {
      const [name, url] = [`idem-${unique()}`, await mcpUrl()];
      return {
        url: '/v1/mcp-servers',
        body: { name, url, description: 'first' },
        other: { name, url, description: 'changed' },
        invalid: { url: '/v1/mcp-servers', body: { name: `idem-${unique()}`, url: 'http://10.0.0.1/mcp' } },
        effect: async () => (await read(t, `/v1/mcp-servers/${name}`)).status,
      };
    },
  },
  {
    route: 'POST /v1/mcp-servers/{name}/approve',
    status: 200,
    setup: async (t) => {
      const name = `idem-${unique()}`;
      await ok(t, 'POST', '/v1/mcp-servers', { name, url: await mcpUrl() });
      // Disabled as a changed tool list would leave it: the approval makes it active again.
      await t.store.writer.write(({ trx }) => trx.updateTable('mcp_servers').set({ status: 'disabled', disabled_reason: 'tools changed' }).where('tenant_id', '=', t.tenantId).where('name', '=', name).execute());
      return {
        url: `/v1/mcp-servers/${name}/approve`,
        body: {},
        invalid: { url: '/v1/mcp-servers/no-such-server/approve', body: {} },
        effect: async () => (await read(t, `/v1/mcp-servers/${name}`)).body.status,
      };
    },
  },
  {
    route: 'POST /v1/webhooks',
    status: 201,
    sensitive: true,
    setup: async (t) => {
      const description = `idem-${unique()}`;
      const mine = async () => (await read(t, '/v1/webhooks?limit=500')).body.data.filter((w: { description: string | null }) => w.description === description).map((w: { id: string }) => w.id);
      return { url: '/v1/webhooks', body: { url: HOOK_URL, events: ['run.*'], description }, other: { url: HOOK_URL, events: ['run.succeeded'], description }, invalid: { url: '/v1/webhooks', body: { url: 'http://10.0.0.1/', events: ['run.*'] } }, effect: mine };
    },
  },
  {
    route: 'POST /v1/webhooks/{id}/rotate-secret',
    status: 200,
    sensitive: true,
    setup: async (t) => {
      const id = (await ok(t, 'POST', '/v1/webhooks', { url: HOOK_URL, events: ['run.*'] })).id as string;
      return { url: `/v1/webhooks/${id}/rotate-secret`, body: { overlap_seconds: 60 }, other: { overlap_seconds: 0 }, invalid: { url: '/v1/webhooks/whk_nope/rotate-secret', body: {} }, effect: async () => (await read(t, `/v1/webhooks/${id}`)).body.secret_version };
    },
  },
  {
    route: 'POST /v1/triggers',
    status: 201,
    sensitive: true,
    setup: async (t) => {
      const name = `idem-${unique()}`;
      const mine = async () => (await read(t, '/v1/triggers?limit=500')).body.data.filter((x: { name: string | null }) => x.name === name).map((x: { id: string }) => x.id);
      const target = { agent: 'hello', endpoint: 'greet' };
      return { url: '/v1/triggers', body: { name, target }, other: { name, target, mapping: { pointer: '/x' } }, invalid: { url: '/v1/triggers', body: { target: { agent: 'no-such-agent', endpoint: 'x' } } }, effect: mine };
    },
  },
  {
    route: 'POST /v1/triggers/{id}/rotate-secret',
    status: 200,
    sensitive: true,
    setup: async (t) => {
      const id = (await ok(t, 'POST', '/v1/triggers', { target: { agent: 'hello', endpoint: 'greet' } })).id as string;
      return { url: `/v1/triggers/${id}/rotate-secret`, body: { overlap_seconds: 60 }, other: { overlap_seconds: 0 }, invalid: { url: '/v1/triggers/trg_nope/rotate-secret', body: {} }, effect: async () => (await read(t, `/v1/triggers/${id}`)).body.secret_version };
    },
  },
  {
    route: 'POST /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver',
    status: 200,
    setup: async (t) => {
      const { webhook, delivery } = await webhookWithDelivery(t);
      return { url: `/v1/webhooks/${webhook}/deliveries/${delivery}/redeliver`, body: {}, invalid: { url: `/v1/webhooks/${webhook}/deliveries/msg_nope/redeliver`, body: {} }, effect: async () => (await read(t, `/v1/webhooks/${webhook}/deliveries/${delivery}`)).body.status };
    },
  },
];
