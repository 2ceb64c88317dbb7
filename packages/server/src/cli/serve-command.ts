import type { Command } from 'commander';
import { resolveServeConfig, type ServeFlags } from '../config.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the agentd server (SQLite in --data-dir unless --database-url is given)')
    .option('--port <port>', 'TCP port (env AGENTD_PORT; default 7070)')
    .option('--host <host>', 'interface to bind (env AGENTD_HOST; default 127.0.0.1)')
    .option('--data-dir <dir>', 'data directory (env AGENTD_DATA_DIR; default ./.agentd)')
    .option('--database-url <url>', 'PostgreSQL connection string (env AGENTD_DATABASE_URL)')
    .option('--sqlite-synchronous <mode>', 'FULL (durable on power loss) or NORMAL (env AGENTD_SQLITE_SYNCHRONOUS; default FULL)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env AGENTD_LOG_LEVEL; default info)')
    .option('--idempotency-retention <duration>', 'how long Idempotency-Key responses are kept (default 24h)')
    .action(async (flags: ServeFlags) => {
      // Loaded here, not at the top: every other command would pay for Fastify, Kysely and pg.
      const { startServer } = await import('../server.ts');
      const server = await startServer(resolveServeConfig(flags));
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
