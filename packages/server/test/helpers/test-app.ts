import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Role } from '@agentd/protocol';
import type { ModelAliasConfig } from '@agentd/protocol/schemas';
import { buildApp } from '../../src/app.ts';
import type { ApiConfig } from '../../src/index.ts';
import { ManualClock, systemClock, type Clock } from '../../src/core/clock.ts';
import { createEngine, type Engine, type LlmEngineOptions, type WebhookEngineOptions } from '../../src/engine.ts';
import type { CallLimits } from '../../src/calls/index.ts';
import type { ToolCaps } from '../../src/tools/index.ts';
import { Keyring } from '../../src/secrets/master-key.ts';
import { DEFAULT_TENANT, type Store, type StoreOptions } from '../../src/store/store.ts';
import type { TestDatabase } from './dialects.ts';
import { ConfigReloader, loadConfigFile } from '../../src/config-file/index.ts';

export interface TestApp {
  app: FastifyInstance;
  engine: Engine;
  store: Store;
  clock: Clock;
  adminKey: string;
  tenantId: string;
  /** In-process request (no socket); `key` defaults to the admin key, `null` sends none. */
  call(method: string, url: string, opts?: { body?: unknown; key?: string | null; headers?: Record<string, string> }): Promise<LightMyRequestResponse & { json<T = any>(): T }>;
  /** A new key of `role`; a worker key serves `agents` (default `["*"]`: every agent, and no secrets). */
  keyFor(role: Role, tenantId?: string, agents?: string[]): Promise<string>;
  /** Listens on 127.0.0.1:0 and returns the base URL, for socket-level tests. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export const HELLO_MANIFEST = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'hello' },
  spec: {
    runtime: 'worker',
    endpoints: {
      greet: {
        input: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false },
        output: { type: 'object', properties: { greeting: { type: 'string' } }, required: ['greeting'] },
        timeout: '30s',
        retry: { max_attempts: 3, initial_interval: '1s', max_interval: '10s', backoff_coefficient: 2, jitter: 0 },
      },
    },
  },
};

export async function startTestApp(
  db: TestDatabase,
  opts: { clock?: Clock; config?: Partial<ApiConfig>; random?: () => number; keyring?: Keyring; store?: Partial<StoreOptions>; webhooks?: WebhookEngineOptions; calls?: Partial<CallLimits>; models?: Record<string, ModelAliasConfig>; tools?: { caps?: Partial<ToolCaps> }; configPath?: string; llm?: LlmEngineOptions } = {},
): Promise<TestApp> {
  const clock = opts.clock ?? systemClock;
  const store = await db.open(() => clock.now(), opts.store);
  const engine = createEngine({ store, clock, random: opts.random, keyring: opts.keyring ?? Keyring.generate(), webhooks: opts.webhooks, calls: opts.calls, models: opts.models, tools: opts.tools, llm: opts.llm });
  // A config file as `serve --config` has one, not applied yet: tests call `reload()` (its first apply).
  const loaded = opts.configPath ? loadConfigFile(opts.configPath) : undefined;
  const configFile = opts.configPath ? new ConfigReloader({ engine, path: opts.configPath, started: loaded?.ok ? loaded.config.server : {} }) : undefined;
  const app = await buildApp({ engine, config: { sseHeartbeatMs: 60_000, streamRecheckMs: 500, ...opts.config }, configFile });
  const admin = await engine.keys.create({ tenantId: DEFAULT_TENANT, role: 'admin', name: 'test admin' });
  const t: TestApp = {
    app,
    engine,
    store,
    clock,
    adminKey: admin.key,
    tenantId: DEFAULT_TENANT,
    call: async (method, url, o = {}) => {
      const headers: Record<string, string> = { ...o.headers };
      const key = o.key === undefined ? admin.key : o.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      const res = await app.inject({ method: method as 'GET', url, headers, ...(o.body !== undefined ? { payload: o.body as string } : {}) });
      return res as LightMyRequestResponse & { json<T = any>(): T };
    },
    keyFor: async (role, tenantId = DEFAULT_TENANT, agents) => (await engine.keys.create({ tenantId, role, agents: role === 'worker' ? (agents ?? ['*']) : agents })).key,
    listen: async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const a = app.server.address();
      return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    },
    close: async () => {
      await engine.llm.stop();
      await app.close();
      await engine.sweeper.stop();
      await engine.webhookDelivery.stop();
      engine.egress.close();
      engine.tools.close();
      await store.close();
    },
  };
  return t;
}

export { ManualClock };
