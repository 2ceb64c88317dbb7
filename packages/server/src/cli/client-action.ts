import type { Agentd } from '@agentd/sdk';
import type { Command } from 'commander';
import { ExitCode, reportError, type ErrorContext } from './cli-errors.ts';
import { createClient, resolveClientConfig, type ClientConfig, type ConnectionFlags } from './client-config.ts';

/** What a client command's handler gets: a ready client and its options (its group's included). */
export interface ClientContext<O> {
  client: Agentd;
  config: ClientConfig;
  options: O;
}

export type ClientHandler<O, A extends string[]> = (context: ClientContext<O>, ...args: A) => Promise<ExitCode | void>;

/**
 * Wraps a handler as a commander action: resolves the connection, runs it, reports any error
 * in the one format, and sets the exit code. It sets `process.exitCode` rather than calling
 * `process.exit`, so output piped to another program is flushed in full.
 */
export function clientAction<O, A extends string[]>(handler: ClientHandler<O, A>): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    // commander calls an action with the positional arguments, then the options, then the command.
    const command = args[args.length - 1] as Command;
    const positional = args.slice(0, -2) as A;
    const options = command.optsWithGlobals() as O & ConnectionFlags;
    let context: ErrorContext = { url: options.url ?? process.env.AGENTD_URL ?? '', apiKey: options.apiKey ?? process.env.AGENTD_API_KEY };
    try {
      const config = resolveClientConfig(options);
      context = { url: config.url, apiKey: config.apiKey, missingKeyHint: config.missingKeyHint };
      const code = await handler({ client: createClient(config), config, options }, ...positional);
      process.exitCode = code ?? ExitCode.ok;
    } catch (err) {
      process.exitCode = reportError(err, context);
    }
  };
}
