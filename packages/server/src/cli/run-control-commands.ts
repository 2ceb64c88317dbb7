import type { Command } from 'commander';
import type { RunUpdateParams } from '@agentd/sdk';
import { integerOption, UsageError } from './cli-errors.ts';
import { parseJsonArgument, parseJsonObjectArgument } from './cli-input.ts';
import { clientAction } from './client-action.ts';
import { out, printJson } from './output-format.ts';

interface SignalFlags {
  data?: string;
  idempotencyKey?: string;
  json?: boolean;
}

interface UpdateFlags {
  generation: number;
  maxAttempts?: number;
  priority?: number;
  deadline?: string;
  retry?: string;
  json?: boolean;
}

/** `agentd runs signal`, `agentd runs update` and `agentd runs retry`: what changes a run from outside. */
export function registerRunControlCommands(runs: Command): void {
  runs
    .command('signal <id> <name>')
    .description('send a signal to a run that has not ended; it is kept until a wait for <name> takes it')
    .option('--data <json|@file>', 'the payload, any JSON value (default null)')
    .option('--idempotency-key <key>', 'repeat-safe key: the same key and payload send one signal')
    .option('--json', 'print the signal as JSON')
    .action(
      clientAction<SignalFlags, [string, string]>(async ({ client, options }, id, name) => {
        const payload = options.data === undefined ? null : parseJsonArgument(options.data, '--data');
        const signal = await client.runs.signal(id, name, payload, options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : undefined);
        if (options.json) printJson(signal);
        else out(`sent signal ${signal.name} (${signal.id}) to run ${signal.run_id}`);
      }),
    );

  runs
    .command('retry <id>')
    .description('retry a failed workflow run from its failed steps: a new run keeps the succeeded steps; prints its id')
    .option('--deadline <time>', "an ISO time in the future: the new run's deadline (default none)")
    .option('--json', 'print the new run as JSON')
    .action(
      clientAction<{ deadline?: string; json?: boolean }, [string]>(async ({ client, options }, id) => {
        const run = await client.runs.retry(id, options.deadline === undefined ? {} : { deadline: isoTime(options.deadline, '') });
        if (options.json) printJson(run);
        else out(run.id);
      }),
    );

  runs
    .command('update <id>')
    .description("change a live run's max attempts, priority, deadline or retry policy, based on its generation (see `agentd runs get`)")
    .requiredOption('--generation <n>', 'the generation the change is based on; a stale one is refused', integerOption('--generation', 1, Number.MAX_SAFE_INTEGER))
    .option('--max-attempts <n>', 'attempts allowed in all, 1-100', integerOption('--max-attempts', 1, 100))
    .option('--priority <n>', 'integer from -100 to 100, higher runs first', integerOption('--priority', -100, 100))
    .option('--deadline <time|none>', 'an ISO time in the future, or none to clear the deadline')
    .option('--retry <json|@file>', 'retry policy fields to change, like \'{"initial_interval_ms":500}\'')
    .option('--json', 'print the run as JSON')
    .action(
      clientAction<UpdateFlags, [string]>(async ({ client, options }, id) => {
        const params: RunUpdateParams = { generation: options.generation };
        if (options.maxAttempts !== undefined) params.max_attempts = options.maxAttempts;
        if (options.priority !== undefined) params.priority = options.priority;
        if (options.deadline !== undefined) params.deadline = options.deadline === 'none' ? null : isoTime(options.deadline);
        if (options.retry !== undefined) params.retry = parseJsonObjectArgument(options.retry, '--retry');
        if (Object.keys(params).length === 1) throw new UsageError('nothing to change: give --max-attempts, --priority, --deadline or --retry');
        const run = await client.runs.update(id, params);
        if (options.json) printJson(run);
        else out(`updated run ${run.id} (generation ${run.generation})`);
      }),
    );
}

function isoTime(value: string, orNone = ' or none'): string {
  const at = Date.parse(value);
  if (!Number.isFinite(at)) throw new UsageError(`--deadline must be an ISO time (like 2026-05-01T12:00:00Z)${orNone}, not ${JSON.stringify(value)}`);
  return new Date(at).toISOString();
}
