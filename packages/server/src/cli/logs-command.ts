import { TERMINAL_STATUSES, type Agentd, type LogLine } from '@agentd/sdk';
import type { Command } from 'commander';
import { integerOption } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { parseCursor } from './findings-command.ts';
import { formatLogLine, interruptSignal, pause } from './finding-log-output.ts';
import { out, printJson, printJsonLine } from './output-format.ts';

interface LogsFlags {
  follow?: boolean;
  since?: string;
  level?: string;
  interval?: number;
  json?: boolean;
}

/** The server's largest log page. */
const PAGE = 1000;

/** `agentd logs <run-id>`: a run's log lines (what its worker wrote with ctx.log). */
export function registerLogsCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('logs <run-id>')
      .description("print a run's log lines; with --follow, keep printing new ones until the run ends (or Ctrl-C)")
      .option('--follow', 'keep printing new lines until the run ends')
      .option('--since <seq>', 'only lines after this event seq', parseCursor)
      .option('--level <level[,level]>', 'only lines at these levels (e.g. warn,error)')
      .option('--interval <ms>', 'with --follow, how often to ask for new lines (default 500)', integerOption('--interval', 50, 60_000))
      .option('--json', 'print {data, next_cursor} as JSON; with --follow, one line object per line'),
  ).action(clientAction<LogsFlags, [string]>(async ({ client, options }, runId) => printLogs(client, runId, options)));
}

async function printLogs(client: Agentd, runId: string, flags: LogsFlags): Promise<void> {
  const level = flags.level?.split(',').map((l) => l.trim()).filter(Boolean);
  if (!flags.follow) {
    const data: LogLine[] = [];
    let since = flags.since;
    for await (const line of client.logs.listForRun(runId, { since, level, limit: PAGE })) {
      data.push(line);
      since = String(line.seq);
    }
    if (flags.json) return printJson({ data, next_cursor: since ?? null });
    for (const line of data) out(formatLogLine(line));
    return;
  }
  const { signal, done } = interruptSignal();
  try {
    let since = flags.since;
    let ended = false;
    while (!signal.aborted) {
      const page = await client.logs.listForRun(runId, { since, level, limit: PAGE });
      for (const line of page.data) {
        if (flags.json) printJsonLine(line);
        else out(formatLogLine(line));
      }
      if (page.next_cursor) {
        since = page.next_cursor;
        continue;
      }
      // Caught up. Once the run has ended no line can follow, and this read came after that.
      if (ended) return;
      ended = TERMINAL_STATUSES.has((await client.runs.retrieve(runId)).status);
      if (!ended) await pause(flags.interval ?? 500, signal);
    }
  } finally {
    done();
  }
}
