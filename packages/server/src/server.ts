import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from './app.ts';
import { loggerOptions } from './http/index.ts';
import type { ServeConfig } from './config.ts';
import { LoopHealth, silentLogger, systemClock } from './core/index.ts';
import { createEngine, type Engine } from './engine.ts';
import { loadKeyring, warnAboutUnreadableSecrets } from './secrets/index.ts';
import { DEFAULT_TENANT, openStore } from './store/index.ts';
import { ConfigReloader } from './config-file/index.ts';
import type { ConfigDiff, ReloadResult } from '@agentd/protocol/schemas';

export interface RunningServer {
  app: FastifyInstance;
  engine: Engine;
  url: string;
  /** The config file (`--config`), when the server has one. */
  configFile: ConfigReloader | null;
  close(): Promise<void>;
}

/** One line per kind of change: `added agents/hello, schedules/daily; unchanged models/fast`. */
export function describeReload(result: ReloadResult): string {
  const parts = (['added', 'changed', 'removed', 'unchanged'] as (keyof ConfigDiff)[]).filter((k) => result.diff[k].length > 0).map((k) => `${k} ${result.diff[k].join(', ')}`);
  const restart = result.restart_required.length > 0 ? `; restart to apply ${result.restart_required.join(', ')}` : '';
  return `${parts.length > 0 ? parts.join('; ') : 'nothing in it'}${restart}`;
}

/**
 * Makes sure an admin can get in: AGENTD_ADMIN_KEY is seeded as given; otherwise, when the
 * default tenant has no admin key, one is generated, printed once and written to
 * `<data-dir>/admin.key` with mode 0600.
 */
async function bootstrapAdminKey(engine: Engine, config: ServeConfig, print: (line: string) => void): Promise<void> {
  if (config.adminKey) {
    if (!(await engine.keys.findByPlaintext(config.adminKey))) {
      await engine.keys.create({ tenantId: DEFAULT_TENANT, role: 'admin', name: 'AGENTD_ADMIN_KEY', key: config.adminKey });
    }
    return;
  }
  if ((await engine.keys.countActiveAdmins(DEFAULT_TENANT)) > 0) return;
  const created = await engine.keys.create({ tenantId: DEFAULT_TENANT, role: 'admin', name: 'bootstrap admin' });
  const file = join(config.dataDir, 'admin.key');
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, `${created.key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its old mode through writeFileSync
  print(`agentd: created an admin API key (shown once, also saved to ${file}):\n  ${created.key}`);
}

export async function startServer(config: ServeConfig, print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const keyring = loadKeyring({ ...config, shared: Boolean(config.databaseUrl) }, print);
  // One logger for requests and background loops alike (the loops report through `loops`).
  // The request serializer of loggerOptions keeps credentials in paths (decision-link tokens) out of the log.
  const logger = config.logLevel === 'silent' ? null : pino(loggerOptions({ level: config.logLevel }) as Record<string, unknown>);
  const loops = new LoopHealth({ logger: logger ?? silentLogger(), failureThreshold: config.loopFailureThreshold });
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, sqliteSynchronous: config.sqliteSynchronous, sqliteWriter: config.sqliteWriter, checkTenantScope: config.checkTenantScope, loops, now: () => systemClock.now() });
  const engine = createEngine({
    store,
    clock: systemClock,
    keyring,
    calls: config.orchestration,
    sweep: { batchSize: config.sweepBatchSize, passLimit: config.sweepPassLimit },
    llm: config.llm,
    sessions: { idleTtlMs: config.sessionIdleTtlMs },
    webhooks: { egress: config.egress, retrySchedule: config.webhookRetrySchedule, timeoutMs: config.webhookTimeoutMs, pollIntervalMs: config.webhookPollIntervalMs },
    models: config.models,
  });
  await bootstrapAdminKey(engine, config, print);
  await warnAboutUnreadableSecrets(engine.secrets, print);
  let configFile: ConfigReloader | null = null;
  if (config.configFile) {
    configFile = new ConfigReloader({ engine, path: config.configFile.path, started: config.configFile.server });
    try {
      print(`agentd: applied ${config.configFile.path}: ${describeReload(await configFile.apply(config.configFile))}`);
    } catch (err) {
      await store.close();
      const details = (err as { details?: unknown }).details;
      const lines = Array.isArray(details) ? details.map((p: { path: string; message: string }) => `\n  ${p.path}: ${p.message}`).join('') : '';
      throw new Error(`the config file ${config.configFile.path} cannot be applied: ${(err as Error).message}${lines}`);
    }
  }
  const app = await buildApp({
    engine,
    config: { ...config.limits, idempotencyRetentionMs: config.idempotencyRetentionMs, logger: false },
    loggerInstance: logger ?? undefined,
    configFile: configFile ?? undefined,
  });
  await app.listen({ port: config.port, host: config.host });
  engine.sweeper.start(config.sweepIntervalMs);
  engine.scheduleTicker.start(config.scheduleIntervalMs);
  engine.webhookDelivery.start();
  engine.llm.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const where = config.databaseUrl ? 'postgresql' : `sqlite ${join(config.dataDir, 'agentd.db')}`;
  print(`agentd listening on ${url} (${where})${existsSync(join(config.dataDir, 'admin.key')) ? `; admin key in ${join(config.dataDir, 'admin.key')}` : ''}`);
  let closing: Promise<void> | null = null;
  return {
    app,
    engine,
    url,
    configFile,
    close: () =>
      (closing ??= (async () => {
        await engine.llm.stop();
        await app.close();
        await engine.sweeper.stop();
        await engine.scheduleTicker.stop();
        await engine.webhookDelivery.stop();
        engine.egress.close();
        engine.tools.close();
        await store.close();
      })()),
  };
}
