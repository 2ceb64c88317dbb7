import type { ParseContext, SettingsSection } from './config-section.ts';
import { fromFileDir, isObject, resolveReference } from './config-values.ts';

/**
 * `server:` — the settings of `agentd serve`, by the names of their environment variables
 * without `AGENTD_` and in lower case (`AGENTD_LOG_LEVEL` → `log_level`). The file is read into
 * an environment beneath the real one, so flags > environment > file > defaults, and every value
 * is checked by the same code as a flag's (config.ts).
 */
const SETTINGS: Record<string, { env: string; type: 'string' | 'number' | 'boolean' | 'list' | 'path' }> = {
  port: { env: 'AGENTD_PORT', type: 'number' },
  host: { env: 'AGENTD_HOST', type: 'string' },
  data_dir: { env: 'AGENTD_DATA_DIR', type: 'path' },
  sqlite_synchronous: { env: 'AGENTD_SQLITE_SYNCHRONOUS', type: 'string' },
  sqlite_writer: { env: 'AGENTD_SQLITE_WRITER', type: 'string' },
  log_level: { env: 'AGENTD_LOG_LEVEL', type: 'string' },
  idempotency_retention: { env: 'AGENTD_IDEMPOTENCY_RETENTION', type: 'string' },
  sweep_interval: { env: 'AGENTD_SWEEP_INTERVAL', type: 'string' },
  schedule_interval: { env: 'AGENTD_SCHEDULE_INTERVAL', type: 'string' },
  loop_failure_threshold: { env: 'AGENTD_LOOP_FAILURE_THRESHOLD', type: 'number' },
  sweep_batch: { env: 'AGENTD_SWEEP_BATCH', type: 'number' },
  sweep_pass_limit: { env: 'AGENTD_SWEEP_PASS_LIMIT', type: 'number' },
  header_timeout: { env: 'AGENTD_HEADER_TIMEOUT', type: 'string' },
  request_timeout: { env: 'AGENTD_REQUEST_TIMEOUT', type: 'string' },
  keep_alive_timeout: { env: 'AGENTD_KEEP_ALIVE_TIMEOUT', type: 'string' },
  auth_failure_limit: { env: 'AGENTD_AUTH_FAILURE_LIMIT', type: 'string' },
  trust_proxy: { env: 'AGENTD_TRUST_PROXY', type: 'list' },
  rate_limit_key: { env: 'AGENTD_RATE_LIMIT_KEY', type: 'string' },
  rate_limit_tenant: { env: 'AGENTD_RATE_LIMIT_TENANT', type: 'string' },
  rate_limit_admin: { env: 'AGENTD_RATE_LIMIT_ADMIN', type: 'boolean' },
  sse_streams_per_key: { env: 'AGENTD_SSE_STREAMS_PER_KEY', type: 'number' },
  sse_stall_timeout: { env: 'AGENTD_SSE_STALL_TIMEOUT', type: 'string' },
  egress_allow: { env: 'AGENTD_EGRESS_ALLOW', type: 'list' },
  webhook_retry_schedule: { env: 'AGENTD_WEBHOOK_RETRY_SCHEDULE', type: 'list' },
  webhook_timeout: { env: 'AGENTD_WEBHOOK_TIMEOUT', type: 'string' },
  webhook_poll_interval: { env: 'AGENTD_WEBHOOK_POLL_INTERVAL', type: 'string' },
  max_call_depth: { env: 'AGENTD_MAX_CALL_DEPTH', type: 'number' },
  max_children: { env: 'AGENTD_MAX_CHILDREN', type: 'number' },
};

/** Secrets: by reference only (`env:NAME`, `file:path`). `database_url` may be either (it often holds a password). */
const SECRET_SETTINGS: Record<string, string> = { admin_key: 'AGENTD_ADMIN_KEY', master_key: 'AGENTD_MASTER_KEY' };

export const SERVER_SETTING_NAMES: readonly string[] = [...Object.keys(SETTINGS), 'database_url', ...Object.keys(SECRET_SETTINGS), 'master_key_previous'];

/** The file's settings as environment variables (`AGENTD_…`), for config.ts to read beneath the real environment. */
export type ServerSettings = Record<string, string>;

function scalar(value: unknown, type: string, path: string, ctx: ParseContext): string | undefined {
  const bad = (what: string) => {
    ctx.problems.push({ path, message: `must be ${what}` });
    return undefined;
  };
  switch (type) {
    case 'number':
      return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '') ? String(value) : bad('a number');
    case 'boolean':
      return typeof value === 'boolean' ? (value ? 'true' : 'false') : bad('true or false');
    case 'list':
      if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join(',');
      return typeof value === 'string' ? value : bad('a list of strings (or one comma-separated string)');
    case 'path':
      return typeof value === 'string' && value !== '' ? fromFileDir(ctx, value) : bad('a path');
    default:
      return typeof value === 'string' || typeof value === 'number' ? String(value) : bad('a string');
  }
}

export const serverSection: SettingsSection<ServerSettings> = {
  kind: 'settings',
  name: 'server',
  parse(raw, ctx) {
    const out: ServerSettings = {};
    if (raw === null || raw === undefined) return out;
    if (!isObject(raw)) {
      ctx.problems.push({ path: 'server', message: 'must be a mapping of settings' });
      return out;
    }
    for (const [key, value] of Object.entries(raw)) {
      const path = `server.${key}`;
      if (value === null || value === undefined) continue;
      const setting = SETTINGS[key];
      if (setting) {
        const v = scalar(value, setting.type, path, ctx);
        if (v !== undefined) out[setting.env] = v;
      } else if (key === 'database_url') {
        const v = typeof value === 'string' && /^(env|file):/.test(value) ? resolveReference(value, path, ctx) : scalar(value, 'string', path, ctx);
        if (v !== undefined) out.AGENTD_DATABASE_URL = v;
      } else if (SECRET_SETTINGS[key]) {
        const v = resolveReference(value, path, ctx);
        if (v !== undefined) out[SECRET_SETTINGS[key]] = v;
      } else if (key === 'master_key_previous') {
        const refs = Array.isArray(value) ? value : [value];
        const keys = refs.map((r, i) => resolveReference(r, `${path}.${i}`, ctx));
        if (keys.every((k) => k !== undefined)) out.AGENTD_MASTER_KEY_PREVIOUS = keys.join(',');
      } else {
        ctx.problems.push({ path, message: `is not a server setting (known: ${SERVER_SETTING_NAMES.join(', ')})` });
      }
    }
    return out;
  },
};

/** `AGENTD_LOG_LEVEL` → `server.log_level`: how a reload names a setting that needs a restart. */
export function settingPath(envName: string): string {
  const key = Object.entries(SETTINGS).find(([, s]) => s.env === envName)?.[0] ?? Object.entries(SECRET_SETTINGS).find(([, e]) => e === envName)?.[0];
  if (key) return `server.${key}`;
  if (envName === 'AGENTD_DATABASE_URL') return 'server.database_url';
  return envName === 'AGENTD_MASTER_KEY_PREVIOUS' ? 'server.master_key_previous' : envName;
}
