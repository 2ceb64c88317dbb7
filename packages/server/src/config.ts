import { resolve } from 'node:path';
import { parseDuration } from '@agentd/protocol';
import { parseMasterKey } from './secrets/index.ts';
import type { LimitsConfig, Rate } from './http/index.ts';
import { EgressPolicy, EgressRefusedError } from './egress/index.ts';
import type { ModelAliasConfig } from '@agentd/protocol/schemas';
import type { FieldProblem } from '@agentd/protocol';
import { CONFIG_SECTION_NAMES } from './config-section-names.ts';
import { CONFIG_SECTIONS, formatProblems, loadConfigFile, type LoadedConfig } from './config-file/index.ts';
import { DEFAULT_RETRY_SCHEDULE_MS, DEFAULT_WEBHOOK_POLL_MS, DEFAULT_WEBHOOK_TIMEOUT_MS, parseRetrySchedule } from './webhooks/index.ts';

/**
 * Everything `agentd serve` can be told, from flags, the environment or the config file's
 * `server:` section (`--config agentd.yaml`). Precedence: flags > environment > file > defaults.
 */
export interface ServeConfig {
  /** TCP port. Flag --port, env AGENTD_PORT. Default 7070. */
  port: number;
  /** Interface to bind. Flag --host, env AGENTD_HOST. Default 127.0.0.1. */
  host: string;
  /** Data directory (SQLite file, admin.key). Flag --data-dir, env AGENTD_DATA_DIR. Default ./.agentd. */
  dataDir: string;
  /** PostgreSQL URL; absent means SQLite. Flag --database-url, env AGENTD_DATABASE_URL. */
  databaseUrl?: string;
  /** SQLite durability FULL or NORMAL. Flag --sqlite-synchronous, env AGENTD_SQLITE_SYNCHRONOUS. Default FULL. */
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** Where SQLite's write transactions run: inline or thread. Flag --sqlite-writer, env AGENTD_SQLITE_WRITER. Default inline. */
  sqliteWriter: 'inline' | 'thread';
  /** Log level (fatal…trace, or silent). Flag --log-level, env AGENTD_LOG_LEVEL. Default info. */
  logLevel: string;
  /** Idempotency-Key retention. Flag --idempotency-retention, env AGENTD_IDEMPOTENCY_RETENTION. Default 24h. */
  idempotencyRetentionMs: number;
  /** Sweeper interval (expired leases, timeouts). Env AGENTD_SWEEP_INTERVAL. Default 1s. */
  sweepIntervalMs: number;
  /**
   * Longest the schedule ticker sleeps when no slot is due sooner: how soon a schedule made on
   * another node, or a timer leader that died, is noticed. Env AGENTD_SCHEDULE_INTERVAL. Default 1s.
   */
  scheduleIntervalMs: number;
  /** Consecutive failed passes after which a background loop makes readiness answer 503. Env AGENTD_LOOP_FAILURE_THRESHOLD. Default 3. */
  loopFailureThreshold: number;
  /** Rows the timers write per transaction. Env AGENTD_SWEEP_BATCH. Default 100. */
  sweepBatchSize: number;
  /** Most rows of each kind the timers handle per pass (the rest wait for the next). Env AGENTD_SWEEP_PASS_LIMIT. Default 500. */
  sweepPassLimit: number;
  /** Seeds this admin key instead of generating one. Env AGENTD_ADMIN_KEY. */
  adminKey?: string;
  /** Master key of the secrets vault (32 bytes, hex or base64). Env AGENTD_MASTER_KEY. Default: `<data-dir>/master.key`, made on first start. */
  masterKey?: Buffer;
  /** Earlier master keys, still accepted for reading (comma-separated). Env AGENTD_MASTER_KEY_PREVIOUS. Default none. */
  previousMasterKeys: Buffer[];
  /** Timeouts, rate limits and stream caps given by flag or environment (the rest keep their defaults; see limits-config.ts). */
  limits: Partial<LimitsConfig>;
  /**
   * Caps on run trees (child runs, ctx.call): `maxDepth`, the deepest a child may be (a root is 0;
   * env AGENTD_MAX_CALL_DEPTH, default 8), and `maxChildren`, the most children one run may make
   * (env AGENTD_MAX_CHILDREN, default 100). Exceeding either is a 422.
   */
  orchestration: { maxDepth: number; maxChildren: number };
  /** Test/debug: fail any query on a tenant table that names no tenant. Env AGENTD_CHECK_TENANT_SCOPE=1. Default off (it walks every query). */
  checkTenantScope: boolean;
  /**
   * Addresses, CIDRs and host names outbound calls (webhooks) may reach although the egress
   * policy refuses them (loopback, private, link-local, metadata…). Flag --egress-allow, env
   * AGENTD_EGRESS_ALLOW (comma-separated). Default none.
   */
  egress: EgressPolicy;
  /** Waits between webhook delivery attempts. Env AGENTD_WEBHOOK_RETRY_SCHEDULE (`5s,30s,2m,…`). Default 5s,30s,2m,10m,30m,1h,2h,4h,8h,8h. */
  webhookRetrySchedule: readonly number[];
  /** Timeout of one webhook delivery attempt. Env AGENTD_WEBHOOK_TIMEOUT. Default 10s. */
  webhookTimeoutMs: number;
  /** How often each node looks for due webhook deliveries. Env AGENTD_WEBHOOK_POLL_INTERVAL. Default 1s. */
  webhookPollIntervalMs: number;
  /** How long a session may sit idle (no message in flight, none sent) before it ends itself, unless it names its own. Env AGENTD_SESSION_IDLE_TTL. Default 24h. */
  sessionIdleTtlMs: number;
  /** Model aliases: the config file's `models:` section (alias → provider, base_url, model, api_key_secret…). Default none. */
  models: Record<string, ModelAliasConfig>;
  /** The config file (flag --config) as read at start: applied once the store is open, and again on reload. */
  configFile?: LoadedConfig;
  /**
   * The LLM runner (see LlmRunnerOptions): runs looping at once per node (env AGENTD_LLM_CONCURRENCY,
   * default 100; loops waiting on an approval or a child run do not count), how often it looks for queued runs (AGENTD_LLM_POLL_INTERVAL, 250ms), the lease
   * it holds each run by (AGENTD_LLM_LEASE_TTL, 30s: how soon a dead node's runs go on elsewhere),
   * and the least time between two delta writes of a run (AGENTD_LLM_DELTA_INTERVAL, 50ms).
   */
  llm?: { concurrency?: number; pollIntervalMs?: number; leaseTtlMs?: number; deltaIntervalMs?: number };
}

export interface ServeFlags {
  config?: string;
  port?: string;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  sqliteSynchronous?: string;
  sqliteWriter?: string;
  logLevel?: string;
  idempotencyRetention?: string;
  headerTimeout?: string;
  requestTimeout?: string;
  keepAliveTimeout?: string;
  authFailureLimit?: string;
  trustProxy?: string;
  rateLimitKey?: string;
  rateLimitTenant?: string;
  rateLimitAdmin?: boolean;
  sseStreamsPerKey?: string;
  sseStallTimeout?: string;
  egressAllow?: string;
}

function fail(message: string): never {
  throw new Error(`configuration: ${message}`);
}

function parseKey(text: string, what: string): Buffer {
  try {
    return parseMasterKey(text, what);
  } catch (err) {
    fail((err as Error).message);
  }
}

/**
 * `100/1s`, `6000/1m`, `20/m` (a bare unit means one of it): that many tokens, refilled evenly
 * over the period. `off` or `0` is no limit (null).
 */
export function parseRate(text: string, what: string): Rate | null {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === '0' || t === 'none') return null;
  const m = /^(\d{1,9})\s*\/\s*(\S+)$/.exec(t);
  const periodMs = m ? parseDuration(/^\d/.test(m[2]) ? m[2] : `1${m[2]}`) : undefined;
  if (!m || periodMs === undefined || periodMs < 1 || Number(m[1]) < 1) fail(`${what} must be a rate such as 100/1s or 600/1m, or off`);
  return { count: Number(m[1]), periodMs };
}

function durationOption(text: string | undefined, what: string, min: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = text.trim() === '0' ? 0 : parseDuration(text);
  if (ms === undefined || (ms < min && ms !== 0)) fail(`${what} must be a duration (such as 10s) of at least ${min} ms, or 0`);
  return ms;
}

/** Only what was given: buildApp fills in the defaults. */
function resolveLimits(flags: ServeFlags, env: NodeJS.ProcessEnv): Partial<LimitsConfig> {
  const out: Partial<LimitsConfig> = {};
  const headers = durationOption(flags.headerTimeout ?? env.AGENTD_HEADER_TIMEOUT, '--header-timeout', 100);
  if (headers === 0) fail('--header-timeout may not be 0: a client could then hold a socket forever');
  if (headers !== undefined) out.headersTimeoutMs = headers;
  const request = durationOption(flags.requestTimeout ?? env.AGENTD_REQUEST_TIMEOUT, '--request-timeout', 100);
  if (request !== undefined) out.requestTimeoutMs = request;
  if (request && request < (headers ?? 10_000)) fail('--request-timeout must be at least the header timeout (or 0 for none)');
  const keepAlive = durationOption(flags.keepAliveTimeout ?? env.AGENTD_KEEP_ALIVE_TIMEOUT, '--keep-alive-timeout', 100);
  if (keepAlive !== undefined) out.keepAliveTimeoutMs = keepAlive;
  const auth = flags.authFailureLimit ?? env.AGENTD_AUTH_FAILURE_LIMIT;
  if (auth) out.authFailureRate = parseRate(auth, '--auth-failure-limit');
  const proxy = flags.trustProxy ?? env.AGENTD_TRUST_PROXY;
  if (proxy) out.trustProxy = proxy;
  const key = flags.rateLimitKey ?? env.AGENTD_RATE_LIMIT_KEY;
  if (key) out.keyRate = parseRate(key, '--rate-limit-key');
  const tenant = flags.rateLimitTenant ?? env.AGENTD_RATE_LIMIT_TENANT;
  if (tenant) out.tenantRate = parseRate(tenant, '--rate-limit-tenant');
  if (flags.rateLimitAdmin || /^(1|true|yes)$/i.test(env.AGENTD_RATE_LIMIT_ADMIN ?? '')) out.rateLimitAdmin = true;
  const streams = flags.sseStreamsPerKey ?? env.AGENTD_SSE_STREAMS_PER_KEY;
  if (streams) {
    const n = Number(streams);
    if (!Number.isInteger(n) || n < 1) fail('--sse-streams-per-key must be a positive integer');
    out.sseStreamsPerKey = n;
  }
  const stall = durationOption(flags.sseStallTimeout ?? env.AGENTD_SSE_STALL_TIMEOUT, '--sse-stall-timeout', 100);
  if (stall === 0) fail('--sse-stall-timeout may not be 0');
  if (stall !== undefined) out.sseStallTimeoutMs = stall;
  return out;
}

/** The egress policy and webhook delivery settings. */
function resolveWebhooks(flags: ServeFlags, env: NodeJS.ProcessEnv): Pick<ServeConfig, 'egress' | 'webhookRetrySchedule' | 'webhookTimeoutMs' | 'webhookPollIntervalMs'> {
  let egress: EgressPolicy;
  try {
    egress = EgressPolicy.parse(flags.egressAllow ?? env.AGENTD_EGRESS_ALLOW);
  } catch (err) {
    fail(`--egress-allow: ${(err as Error).message}`);
  }
  let webhookRetrySchedule: readonly number[] = DEFAULT_RETRY_SCHEDULE_MS;
  if (env.AGENTD_WEBHOOK_RETRY_SCHEDULE !== undefined) {
    try {
      webhookRetrySchedule = parseRetrySchedule(env.AGENTD_WEBHOOK_RETRY_SCHEDULE);
    } catch (err) {
      fail(`AGENTD_WEBHOOK_RETRY_SCHEDULE: ${(err as Error).message}`);
    }
  }
  const timeout = durationOption(env.AGENTD_WEBHOOK_TIMEOUT, 'AGENTD_WEBHOOK_TIMEOUT', 100);
  if (timeout === 0) fail('AGENTD_WEBHOOK_TIMEOUT may not be 0: every outbound request has a timeout');
  const poll = durationOption(env.AGENTD_WEBHOOK_POLL_INTERVAL, 'AGENTD_WEBHOOK_POLL_INTERVAL', 10);
  if (poll === 0) fail('AGENTD_WEBHOOK_POLL_INTERVAL may not be 0');
  return { egress, webhookRetrySchedule, webhookTimeoutMs: timeout ?? DEFAULT_WEBHOOK_TIMEOUT_MS, webhookPollIntervalMs: poll ?? DEFAULT_WEBHOOK_POLL_MS };
}

/**
 * The environment with the config file's `server:` settings beneath it: a variable that is set
 * (and not empty) wins over the file. Throws, naming the file and each problem, when the file
 * cannot be read or is invalid.
 */
function withConfigFile(path: string, env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; file: LoadedConfig } {
  const loaded = loadConfigFile(path, env);
  if (!loaded.ok) fail(`the config file ${loaded.path} is invalid:\n${formatProblems(loaded.problems)}`);
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(loaded.config.server)) if (merged[name] === undefined || merged[name] === '') merged[name] = value;
  return { env: merged, file: loaded.config };
}

export function resolveServeConfig(flags: ServeFlags, processEnv: NodeJS.ProcessEnv = process.env): ServeConfig {
  const fromFile = flags.config !== undefined ? withConfigFile(flags.config, processEnv) : undefined;
  if (!fromFile) return resolveSettings(flags, processEnv);
  try {
    return { ...resolveSettings(flags, fromFile.env), models: fromFile.file.models, configFile: fromFile.file };
  } catch (err) {
    // A value may have come from the file: say which file, so the start names it.
    throw new Error(`${(err as Error).message} (read from the flags, the environment and the server: section of ${fromFile.file.path})`);
  }
}

function resolveSettings(flags: ServeFlags, env: NodeJS.ProcessEnv): ServeConfig {
  const port = Number(flags.port ?? env.AGENTD_PORT ?? 7070);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
  const sync = (flags.sqliteSynchronous ?? env.AGENTD_SQLITE_SYNCHRONOUS ?? 'FULL').toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL') fail('--sqlite-synchronous must be FULL or NORMAL');
  const sqliteWriter = (flags.sqliteWriter ?? env.AGENTD_SQLITE_WRITER ?? 'inline').toLowerCase();
  if (sqliteWriter !== 'inline' && sqliteWriter !== 'thread') fail('--sqlite-writer must be inline or thread');
  const retention = parseDuration(flags.idempotencyRetention ?? env.AGENTD_IDEMPOTENCY_RETENTION ?? '24h');
  if (retention === undefined || retention < 60_000) fail('--idempotency-retention must be a duration of at least 1m');
  const sweep = parseDuration(env.AGENTD_SWEEP_INTERVAL ?? '1s');
  if (sweep === undefined || sweep < 10) fail('AGENTD_SWEEP_INTERVAL must be a duration of at least 10ms');
  const scheduleInterval = parseDuration(env.AGENTD_SCHEDULE_INTERVAL ?? '1s');
  if (scheduleInterval === undefined || scheduleInterval < 10) fail('AGENTD_SCHEDULE_INTERVAL must be a duration of at least 10ms');
  const positive = (name: string, fallback: number) => {
    const n = Number(env[name] ?? fallback);
    if (!Number.isInteger(n) || n < 1) fail(`${name} must be a positive integer`);
    return n;
  };
  const sessionIdleTtl = parseDuration(env.AGENTD_SESSION_IDLE_TTL ?? '24h');
  if (sessionIdleTtl === undefined || sessionIdleTtl < 1000) fail('AGENTD_SESSION_IDLE_TTL must be a duration of at least 1s');
  const adminKey = env.AGENTD_ADMIN_KEY || undefined;
  if (adminKey !== undefined && adminKey.length < 16) fail('AGENTD_ADMIN_KEY must be at least 16 characters');
  return {
    port,
    host: flags.host ?? env.AGENTD_HOST ?? '127.0.0.1',
    dataDir: resolve(flags.dataDir ?? env.AGENTD_DATA_DIR ?? '.agentd'),
    databaseUrl: flags.databaseUrl ?? (env.AGENTD_DATABASE_URL || undefined),
    sqliteSynchronous: sync,
    sqliteWriter,
    logLevel: flags.logLevel ?? env.AGENTD_LOG_LEVEL ?? 'info',
    idempotencyRetentionMs: retention,
    sweepIntervalMs: sweep,
    scheduleIntervalMs: scheduleInterval,
    loopFailureThreshold: positive('AGENTD_LOOP_FAILURE_THRESHOLD', 3),
    sweepBatchSize: positive('AGENTD_SWEEP_BATCH', 100),
    sweepPassLimit: positive('AGENTD_SWEEP_PASS_LIMIT', 500),
    sessionIdleTtlMs: sessionIdleTtl,
    adminKey,
    masterKey: env.AGENTD_MASTER_KEY ? parseKey(env.AGENTD_MASTER_KEY, 'AGENTD_MASTER_KEY') : undefined,
    limits: resolveLimits(flags, env),
    orchestration: { maxDepth: positive('AGENTD_MAX_CALL_DEPTH', 8), maxChildren: positive('AGENTD_MAX_CHILDREN', 100) },
    checkTenantScope: env.AGENTD_CHECK_TENANT_SCOPE === '1',
    ...resolveWebhooks(flags, env),
    previousMasterKeys: (env.AGENTD_MASTER_KEY_PREVIOUS ?? '').split(',').filter((k) => k.trim()).map((k, i) => parseKey(k, `AGENTD_MASTER_KEY_PREVIOUS (key ${i + 1})`)),
    models: {},
    llm: resolveLlm(env),
  };
}

function resolveLlm(env: NodeJS.ProcessEnv): NonNullable<ServeConfig['llm']> {
  const out: NonNullable<ServeConfig['llm']> = {};
  if (env.AGENTD_LLM_CONCURRENCY !== undefined) {
    const n = Number(env.AGENTD_LLM_CONCURRENCY);
    if (!Number.isInteger(n) || n < 1) fail('AGENTD_LLM_CONCURRENCY must be a positive integer');
    out.concurrency = n;
  }
  const poll = durationOption(env.AGENTD_LLM_POLL_INTERVAL, 'AGENTD_LLM_POLL_INTERVAL', 10);
  if (poll === 0) fail('AGENTD_LLM_POLL_INTERVAL must be at least 10 ms');
  if (poll !== undefined) out.pollIntervalMs = poll;
  const ttl = durationOption(env.AGENTD_LLM_LEASE_TTL, 'AGENTD_LLM_LEASE_TTL', 1000);
  if (ttl === 0) fail('AGENTD_LLM_LEASE_TTL must be at least 1000 ms');
  if (ttl !== undefined) out.leaseTtlMs = ttl;
  const delta = durationOption(env.AGENTD_LLM_DELTA_INTERVAL, 'AGENTD_LLM_DELTA_INTERVAL', 0);
  if (delta !== undefined) out.deltaIntervalMs = delta;
  return out;
}

/** What `agentd config validate` says about a file. */
export type ConfigCheck = { ok: true; file: string; sections: Record<string, string[]> } | { ok: false; file: string; problems: FieldProblem[] };

// The CLI lists the sections without loading them (config-section-names.ts); the two must agree.
if (CONFIG_SECTIONS.map((s) => s.name).join() !== CONFIG_SECTION_NAMES.join()) {
  throw new Error(`config-section-names.ts lists ${CONFIG_SECTION_NAMES.join(', ')}; config-file has ${CONFIG_SECTIONS.map((s) => s.name).join(', ')}`);
}

/**
 * Checks a config file offline, as `agentd serve --config` reads it: its YAML, every section,
 * the manifests and definitions it names, crons and time zones, and the `server:` values (alone,
 * without this machine's environment). `skipSecrets`: references are checked by form only.
 */
export function checkConfigFile(path: string, opts: { skipSecrets?: boolean; env?: NodeJS.ProcessEnv } = {}): ConfigCheck {
  const loaded = loadConfigFile(path, opts.env ?? process.env, { resolveReferences: !opts.skipSecrets });
  if (!loaded.ok) return { ok: false, file: loaded.path, problems: loaded.problems };
  const settings = { ...loaded.config.server };
  if (opts.skipSecrets) for (const k of ['AGENTD_ADMIN_KEY', 'AGENTD_MASTER_KEY', 'AGENTD_MASTER_KEY_PREVIOUS']) delete settings[k];
  // The egress allow-list as the server would read it: this environment's over the file's.
  const env = opts.env ?? process.env;
  if (env.AGENTD_EGRESS_ALLOW !== undefined) settings.AGENTD_EGRESS_ALLOW = env.AGENTD_EGRESS_ALLOW;
  let serve: ServeConfig;
  try {
    serve = resolveServeConfig({}, settings);
  } catch (err) {
    return { ok: false, file: loaded.config.path, problems: [{ path: 'server', message: (err as Error).message.replace(/^configuration: /, '') }] };
  }
  // Webhook URLs the egress policy refuses without DNS (scheme, loopback names, address literals);
  // names are resolved by the server's reload, which checks them before applying anything.
  const refused: FieldProblem[] = [];
  for (const w of loaded.config.resources.get('webhooks') ?? []) {
    try {
      serve.egress.checkUrl(new URL((w.spec as { url: string }).url));
    } catch (err) {
      if (!(err instanceof EgressRefusedError) && !(err instanceof TypeError)) throw err;
      refused.push({ path: `webhooks.${w.name}.url`, message: err instanceof EgressRefusedError ? err.message : 'is not a valid URL' });
    }
  }
  if (refused.length > 0) return { ok: false, file: loaded.config.path, problems: refused };
  const sections: Record<string, string[]> = { models: Object.keys(loaded.config.models) };
  for (const [name, items] of loaded.config.resources) sections[name] = items.map((r) => r.name);
  return { ok: true, file: loaded.config.path, sections };
}
