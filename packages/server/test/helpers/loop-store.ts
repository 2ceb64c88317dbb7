/**
 * A store, engine and app whose background loops report to a registry with a capturing logger,
 * for the timer and loop-health tests (the usual helpers open stores with a silent one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { LoopHealth, type Clock, type Logger } from '../../src/core/index.ts';
import { createEngine, type Engine } from '../../src/engine.ts';
import { Keyring } from '../../src/secrets/master-key.ts';
import { DEFAULT_TENANT, openStore, type Store } from '../../src/store/store.ts';
import type { TestDatabase } from './dialects.ts';

export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  context: Record<string, unknown>;
  message: string;
  at: number;
}

export function capturingLogger(lines: LogLine[]): Logger {
  const at = (level: LogLine['level']) => (context: object, message: string) => lines.push({ level, context: context as Record<string, unknown>, message, at: Date.now() });
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

export interface LoopNode {
  store: Store;
  engine: Engine;
  app: FastifyInstance;
  logs: LogLine[];
  adminKey: string;
  close(): Promise<void>;
}

/** One node on `db` (another call on the same PostgreSQL database is a second node). */
export async function openLoopNode(
  db: TestDatabase,
  clock: Clock,
  opts: { failureThreshold?: number; sweep?: { batchSize?: number; passLimit?: number; purgeBatchSize?: number; purgePassLimit?: number }; leaderCheckTimeoutMs?: number } = {},
): Promise<LoopNode> {
  const logs: LogLine[] = [];
  const loops = new LoopHealth({ logger: capturingLogger(logs), failureThreshold: opts.failureThreshold ?? 2, now: () => clock.now() });
  const dataDir = db.dialect === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-loops-'));
  const store = await openStore({ ...(db.dialect === 'postgres' ? { databaseUrl: db.location } : {}), dataDir, loops, leaderCheckTimeoutMs: opts.leaderCheckTimeoutMs, poolSize: 6, checkTenantScope: true, now: () => clock.now() });
  const engine = createEngine({ store, clock, keyring: Keyring.generate(), sweep: opts.sweep });
  const app = await buildApp({ engine });
  const admin = await engine.keys.create({ tenantId: DEFAULT_TENANT, role: 'admin', name: 'test admin' });
  return {
    store,
    engine,
    app,
    logs,
    adminKey: admin.key,
    close: async () => {
      await app.close();
      await engine.sweeper.stop();
      await store.close();
      if (db.dialect === 'postgres') rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
