import { FINDING_SEVERITIES, type Agentd, type Finding, type FindingSeverity } from '@agentd/sdk';
import { InvalidArgumentError, type Command } from 'commander';
import { integerOption } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { formatFindingLine, formatFindingTable, interruptSignal } from './finding-log-output.ts';
import { note, out, printJson, printJsonLine } from './output-format.ts';

interface ListFlags {
  run?: string;
  severity?: FindingSeverity[];
  agent?: string;
  since?: string;
  limit?: number;
  follow?: boolean;
  interval?: number;
  json?: boolean;
}

/** The server's largest findings page. */
const MAX_PAGE = 500;

/** `agentd findings …`: the structured findings runs post. */
export function registerFindingsCommand(program: Command): void {
  const findings = addConnectionOptions(program.command('findings').description('list and follow the findings runs post'));
  findings
    .command('list')
    .description('list findings, oldest first; with --follow, keep printing new ones until Ctrl-C')
    .option('--run <id>', 'only findings of this run')
    .option('--severity <s[,s]>', `only these severities (${FINDING_SEVERITIES.join(', ')})`, parseSeverities)
    .option('--agent <name>', 'only findings of runs of this agent')
    .option('--since <cursor>', 'only findings after this id (a next_cursor printed before)', parseCursor)
    .option('--limit <n>', 'show at most n findings, 1-500 (default 100; ignored with --follow)', integerOption('--limit', 1, MAX_PAGE))
    .option('--follow', 'after the existing findings, print each new one as it arrives, until Ctrl-C')
    .option('--interval <ms>', 'with --follow, how often to ask for new findings (default 1000)', integerOption('--interval', 50, 60_000))
    .option('--json', 'print {data, next_cursor} as JSON; with --follow, one finding per line')
    .action(clientAction<ListFlags, []>(async ({ client, options }) => (options.follow ? followFindings(client, options) : listFindings(client, options))));
}

async function listFindings(client: Agentd, flags: ListFlags): Promise<void> {
  const params = { severity: flags.severity, since: flags.since, limit: flags.limit ?? 100 };
  const page = flags.run ? await client.findings.listForRun(flags.run, params) : await client.findings.list({ ...params, agent: flags.agent });
  // A full page may have more after it; a short one reached the newest finding.
  const more = page.data.length === params.limit ? page.next_cursor : null;
  if (flags.json) return printJson({ data: page.data, next_cursor: page.next_cursor });
  if (page.data.length === 0) return out('no findings');
  out(formatFindingTable(page.data));
  if (more) note(`(more findings: agentd findings list --since ${more})`);
}

async function followFindings(client: Agentd, flags: ListFlags): Promise<void> {
  // One plain request first: an unknown run fails at once instead of polling forever.
  if (flags.run) await client.runs.retrieve(flags.run);
  const { signal, done } = interruptSignal();
  const print = (f: Finding) => (flags.json ? printJsonLine(f) : out(formatFindingLine(f)));
  try {
    const stream = client.findings.follow({ run: flags.run, agent: flags.agent, severity: flags.severity, since: flags.since, limit: MAX_PAGE }, { signal, intervalMs: flags.interval });
    for await (const finding of stream) print(finding);
  } finally {
    done();
  }
}

function parseSeverities(value: string): FindingSeverity[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((s) => !FINDING_SEVERITIES.includes(s as FindingSeverity));
  if (list.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`unknown severity ${unknown.join(', ') || '(none)'}; choose from ${FINDING_SEVERITIES.join(', ')}.`);
  return list as FindingSeverity[];
}

export function parseCursor(value: string): string {
  if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError('a cursor is a non-negative integer (a next_cursor printed before).');
  return value;
}
