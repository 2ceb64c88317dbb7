import type { Agentd, RunCreateParams } from '@agentd/sdk';
import type { Command } from 'commander';
import { integerOption, UsageError, type ExitCode } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { parseJsonArgument, parseJsonObjectArgument } from './cli-input.ts';
import { explainInterrupt, printEventStream, printFinalRun } from './event-output.ts';
import { out, printJson } from './output-format.ts';

interface RunFlags {
  input: string;
  wait?: boolean;
  follow?: boolean;
  json?: boolean;
  idempotencyKey?: string;
  priority?: number;
  metadata?: string;
}

const EXAMPLES = `
Examples:
  $ agentd run hello/greet --input '{"name":"Ada"}'           print the new run's id
  $ agentd run hello --input @input.json --wait               wait, then print the output
  $ agentd run hello/greet --input '{"name":"Ada"}' --follow  print events as they happen
  $ agentd run assistant --input "What is agentd?" --follow  an LLM agent: its text as it streams
  $ echo '{"name":"Ada"}' | agentd run hello --input @- --wait --json

Exit codes: 0 done (with --wait/--follow: the run succeeded), 1 an error, or the run
failed, was cancelled or timed out; 2 a mistake on the command line.`;

/** `agentd run <agent>[/<endpoint>]`: start a run, and optionally wait for it or follow its events. */
export function registerRunCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('run <target>')
      .description('start a run of <agent>[/<endpoint>] (the endpoint may be left out when the agent has only one)')
      .requiredOption('--input <json|@file>', 'the run input: inline JSON, @file, or @- for stdin')
      .option('--wait', 'wait until the run ends, then print it')
      .option('--follow', 'print each event as it happens until the run ends, then the final state')
      .option('--json', 'print JSON: the run (with --follow, one JSON object per line)')
      .option('--idempotency-key <key>', 'repeat-safe key: the same key and input return the first run instead of a new one')
      .option('--priority <n>', 'integer from -100 to 100, higher runs first (default 0)', integerOption('--priority', -100, 100))
      .option('--metadata <json|@file>', 'a JSON object stored with the run')
      .addHelpText('after', EXAMPLES),
  ).action(clientAction<RunFlags, [string]>(async ({ client, options }, target) => runAgent(client, target, options)));
}

async function runAgent(client: Agentd, target: string, flags: RunFlags): Promise<ExitCode | void> {
  // Arguments first: a mistake in them is found without a request, and with exit code 2. Text
  // that is not JSON is a message for an LLM agent (`--input "hello"`), checked once the agent is known.
  const text = flags.input !== undefined && !flags.input.startsWith('@') ? flags.input : undefined;
  let input: unknown;
  let notJson: UsageError | null = null;
  try {
    input = parseJsonArgument(flags.input, '--input');
  } catch (err) {
    if (!(err instanceof UsageError) || text === undefined) throw err;
    notJson = err;
  }
  const metadata = flags.metadata === undefined ? undefined : parseJsonObjectArgument(flags.metadata, '--metadata');
  const { agent, endpoint, runtime } = await resolveTarget(client, target, { needRuntime: notJson !== null || !!flags.follow });
  if (notJson) {
    if (runtime !== 'llm') throw notJson;
    input = { message: text };
  } else if (runtime === 'llm' && typeof input === 'string') input = { message: input };
  const params: RunCreateParams = { agent, endpoint, input, metadata, priority: flags.priority };
  const requestOptions = { idempotencyKey: flags.idempotencyKey };

  if (flags.follow) {
    const run = await client.runs.create(params, requestOptions);
    const stop = explainInterrupt(() => `stopped following; run ${run.id} goes on (agentd runs get ${run.id})`);
    try {
      await printEventStream(client.runs.events(run.id), !!flags.json, { streamText: runtime === 'llm' });
      return printFinalRun(await client.runs.retrieve(run.id), flags.json ? 'json-line' : 'text');
    } finally {
      stop();
    }
  }
  if (flags.wait) {
    const stop = explainInterrupt(() => 'stopped waiting; the run goes on (agentd runs list)');
    try {
      return printFinalRun(await client.runs.createAndWait(params, requestOptions), flags.json ? 'json' : 'text');
    } finally {
      stop();
    }
  }
  const run = await client.runs.create(params, requestOptions);
  if (flags.json) printJson(run);
  else out(run.id);
}

/**
 * `agent/endpoint` as given; a bare `agent` means its only endpoint. With several there is no
 * safe guess, so the error lists them.
 */
async function resolveTarget(client: Agentd, target: string, opts: { needRuntime: boolean }): Promise<{ agent: string; endpoint: string; runtime: string | null }> {
  const slash = target.indexOf('/');
  if (slash >= 0) {
    const agent = target.slice(0, slash);
    const endpoint = target.slice(slash + 1);
    if (!agent || !endpoint) throw new UsageError(`expected <agent>/<endpoint>, got ${JSON.stringify(target)}`);
    return { agent, endpoint, runtime: opts.needRuntime ? (await client.agents.retrieve(agent)).runtime : null };
  }
  const found = await client.agents.retrieve(target);
  const names = Object.keys(found.endpoints);
  if (names.length === 1) return { agent: target, endpoint: names[0], runtime: found.runtime };
  throw new UsageError(`agent ${target} has ${names.length} endpoints (${names.join(', ')}); name one: agentd run ${target}/<endpoint>`);
}
