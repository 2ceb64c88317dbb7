import type { Command } from 'commander';
import type { ServeFlags } from '../config.ts';
import { CONFIG_SECTION_NAMES } from '../config-section-names.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the agentd server (SQLite in --data-dir unless --database-url is given)')
    .option('--config <file>', 'the config file (agentd.yaml): server settings beneath flags and env, models, keys, secrets, agents, grants, workflows, triggers, schedules, webhooks; re-applied on SIGHUP or `agentd reload`')
    .option('--port <port>', 'TCP port (env AGENTD_PORT; default 7070)')
    .option('--host <host>', 'interface to bind (env AGENTD_HOST; default 127.0.0.1)')
    .option('--data-dir <dir>', 'data directory (env AGENTD_DATA_DIR; default ./.agentd)')
    .option('--database-url <url>', 'PostgreSQL connection string (env AGENTD_DATABASE_URL)')
    .option('--sqlite-synchronous <mode>', 'FULL (durable on power loss) or NORMAL (env AGENTD_SQLITE_SYNCHRONOUS; default FULL)')
    .option('--sqlite-writer <where>', "inline (on the server's thread) or thread (SQLite's writes on a thread of their own) (env AGENTD_SQLITE_WRITER; default inline)")
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env AGENTD_LOG_LEVEL; default info)')
    .option('--idempotency-retention <duration>', 'how long Idempotency-Key responses are kept (default 24h)')
    .option('--header-timeout <duration>', 'time a client has to send the request headers (env AGENTD_HEADER_TIMEOUT; default 10s)')
    .option('--request-timeout <duration>', 'time a client has to send the whole request, body included; 0 = none (env AGENTD_REQUEST_TIMEOUT; default 30s)')
    .option('--keep-alive-timeout <duration>', 'how long an idle keep-alive connection is kept (env AGENTD_KEEP_ALIVE_TIMEOUT; default 72s)')
    .option('--auth-failure-limit <rate>', 'invalid API keys per client address before 429, e.g. 60/1m, or off (env AGENTD_AUTH_FAILURE_LIMIT; default 60/1m)')
    .option('--trust-proxy <addresses>', 'proxies whose X-Forwarded-For is believed: addresses, CIDRs, loopback (env AGENTD_TRUST_PROXY; default none)')
    .option('--rate-limit-key <rate>', 'requests per API key, e.g. 100/1s (env AGENTD_RATE_LIMIT_KEY; default off)')
    .option('--rate-limit-tenant <rate>', 'requests per tenant, e.g. 1000/1s (env AGENTD_RATE_LIMIT_TENANT; default off)')
    .option('--rate-limit-admin', 'apply the key and tenant rates to admin keys too (env AGENTD_RATE_LIMIT_ADMIN=1; default off)')
    .option('--sse-streams-per-key <n>', 'open event streams per API key on one node (env AGENTD_SSE_STREAMS_PER_KEY; default 1000)')
    .option('--sse-stall-timeout <duration>', 'a stream whose client has not read for this long is closed (env AGENTD_SSE_STALL_TIMEOUT; default 30s)')
    .option('--egress-allow <list>', 'addresses, CIDRs and hosts outbound calls (webhooks) may reach although loopback/private/link-local/metadata, e.g. 127.0.0.1,10.0.0.0/8 (env AGENTD_EGRESS_ALLOW; default none)')
    .action(async (flags: ServeFlags) => {
      // Loaded here, not at the top: every other command would pay for Fastify, Kysely, pg and the
      // config file's parsers (a client command starts in half the time without them).
      const { resolveServeConfig } = await import('../config.ts');
      const { describeReload, startServer } = await import('../server.ts');
      const server = await startServer(resolveServeConfig(flags));
      // With --config, SIGHUP re-reads the file (an invalid one changes nothing and is reported);
      // without, SIGHUP keeps its default (the process ends, as when its terminal closes).
      const file = server.configFile;
      if (file) process.on('SIGHUP', () => {
        file.reload().then(
          (result) => process.stdout.write(`agentd: SIGHUP: reloaded ${file.path}: ${describeReload(result)}\n`),
          (err: unknown) => {
            const details = (err as { details?: unknown }).details;
            const lines = Array.isArray(details) ? details.map((p: { path: string; message: string }) => `\n  ${p.path || '(file)'}: ${p.message}`).join('') : '';
            process.stderr.write(`agentd: SIGHUP: reload of ${file.path} failed: ${(err as Error).message}${lines}\n`);
          },
        );
      });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`agentd: ${signal}, shutting down\n`);
        server.close().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`agentd: shutdown failed: ${(err as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}

/**
 * `agentd config validate <file>`: the config file of `serve --config`, checked offline by the
 * same loader. Whether a schedule's agent exists on the server (one the file does not deploy) is
 * the server's check at start and reload.
 */
export function registerConfigValidate(program: Command): void {
  const config = program.command('config').description(`the config file of agentd serve --config (sections: ${CONFIG_SECTION_NAMES.join(', ')})`);
  config
    .command('validate <file>')
    .description('check a config file without a server; each problem with its path in the file')
    .option('--skip-secrets', 'check env:/file: references by their form only (on a machine without the server environment)')
    .option('--json', 'print {ok, file, sections} or {ok, file, problems} as JSON')
    .action(async (file: string, opts: { skipSecrets?: boolean; json?: boolean }) => {
      const { checkConfigFile } = await import('../config.ts');
      const result = checkConfigFile(file, { skipSecrets: opts.skipSecrets });
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else if (result.ok) process.stdout.write(`${result.file}: ok — ${Object.entries(result.sections).map(([k, v]) => `${v.length} ${k}`).join(', ')}\n`);
      else for (const p of result.problems) process.stdout.write(`${result.file}: ${p.path || '(file)'}: ${p.message}\n`);
      if (!result.ok) process.exitCode = 1;
    });
}
