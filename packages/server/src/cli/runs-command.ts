import { RUN_STATUSES, type Agentd, type Run, type RunEvent, type RunStatus } from '@agentd/sdk';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { integerOption } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { printEventStream } from './event-output.ts';
import { registerRunControlCommands } from './run-control-commands.ts';
import { formatTree, treeOf } from './run-tree-output.ts';
import { formatEventLine, formatRunDetails, formatTable, note, out, printJson, runDuration, shortTime } from './output-format.ts';

interface ListFlags {
  agent?: string;
  status?: RunStatus[];
  limit?: number;
  all?: boolean;
  json?: boolean;
}

interface EventsFlags {
  follow?: boolean;
  after?: number;
  json?: boolean;
}

/** Biggest page the server gives; `--all` walks in these. */
const MAX_PAGE = 500;
/** The JSON form of a run's events pages up to this many. */
const EVENTS_PAGE = 1000;

/** `agentd runs …`: list, inspect, cancel runs and read their events. */
export function registerRunsCommand(program: Command): void {
  const runs = addConnectionOptions(program.command('runs').description('list, inspect, cancel, signal and update runs, and read their events'));

  runs
    .command('list')
    .description('list runs, newest first')
    .option('--agent <name>', 'only runs of this agent')
    .option('--status <status[,status]>', `only runs in these states (${RUN_STATUSES.join(', ')})`, parseStatuses)
    .addOption(new Option('--limit <n>', 'show at most n runs, 1-500 (default 50)').argParser(integerOption('--limit', 1, MAX_PAGE)).conflicts('all'))
    .option('--all', 'show every matching run, fetching page after page')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(clientAction<ListFlags, []>(async ({ client, options }) => listRuns(client, options)));

  runs
    .command('get <id>')
    .description('show a run: status, attempts, input, output, error')
    .option('--json', 'print the run as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const run = await client.runs.retrieve(id);
        if (options.json) printJson(run);
        else out(formatRunDetails(run));
      }),
    );

  runs
    .command('tree <id>')
    .description('show the tree of runs <id> belongs to (its root, children, their children…) with each status')
    .option('--json', 'print {root, data} (every run of the tree) as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const tree = await treeOf(client, id);
        if (options.json) printJson({ root: tree.root, data: tree.runs });
        else out(formatTree(tree, id));
      }),
    );

  runs
    .command('cancel <id>')
    .description('cancel a run that has not ended (a running attempt learns it at its next heartbeat)')
    .option('--reason <text>', 'why; recorded in the run.cancelled event')
    .option('--json', 'print the cancelled run as JSON')
    .action(
      clientAction<{ reason?: string; json?: boolean }, [string]>(async ({ client, options }, id) => {
        const run = await client.runs.cancel(id, { reason: options.reason });
        if (options.json) printJson(run);
        else out(`cancelled run ${run.id}`);
      }),
    );

  runs
    .command('events <id>')
    .description("print a run's stored events; with --follow, stream them live until the run ends")
    .option('--follow', 'keep streaming new events until the terminal one')
    .option('--after <seq>', 'only events after this seq', integerOption('--after', 0, Number.MAX_SAFE_INTEGER))
    .option('--json', 'print JSON: {data, next_cursor}, or with --follow one event per line')
    .action(clientAction<EventsFlags, [string]>(async ({ client, options }, id) => printRunEvents(client, id, options)));

  registerRunControlCommands(runs);
}

async function listRuns(client: Agentd, flags: ListFlags): Promise<void> {
  const params = { agent: flags.agent, status: flags.status };
  let data: Run[];
  let nextCursor: string | null = null;
  if (flags.all) {
    data = [];
    for await (const run of client.runs.list({ ...params, limit: MAX_PAGE })) data.push(run);
  } else {
    const page = await client.runs.list({ ...params, limit: flags.limit });
    data = page.data;
    nextCursor = page.next_cursor;
  }
  if (flags.json) return printJson({ data, next_cursor: nextCursor });
  if (data.length === 0) return out('no runs');
  out(
    formatTable(
      ['ID', 'AGENT', 'ENDPOINT', 'STATUS', 'ATTEMPTS', 'CREATED', 'DURATION'],
      data.map((r) => [r.id, r.agent, r.endpoint, r.status, `${r.attempts}/${r.max_attempts}`, shortTime(r.created_at), runDuration(r)]),
    ),
  );
  if (nextCursor) note(`(more runs: raise --limit or pass --all)`);
}

async function printRunEvents(client: Agentd, id: string, flags: EventsFlags): Promise<void> {
  if (flags.follow) {
    // One plain GET first: an unknown run or an unreachable server fails at once, where the
    // stream would keep reconnecting.
    await client.runs.retrieve(id);
    return printEventStream(client.runs.events(id, { after: flags.after }), !!flags.json);
  }
  const data: RunEvent[] = [];
  for await (const event of client.runs.eventsPage(id, { after: flags.after, limit: EVENTS_PAGE })) data.push(event);
  if (flags.json) printJson({ data, next_cursor: null });
  else for (const event of data) out(formatEventLine(event));
}

function parseStatuses(value: string): RunStatus[] {
  const statuses = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = statuses.filter((s) => !RUN_STATUSES.includes(s as RunStatus));
  if (statuses.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown status ${unknown.join(', ') || '(none)'}; choose from ${RUN_STATUSES.join(', ')}.`);
  }
  return statuses as RunStatus[];
}
