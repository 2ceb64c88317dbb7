import { SESSION_STATUSES, type Session, type SessionStatus } from '@agentd/sdk';
import { Option, type Command } from 'commander';
import { integerOption } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { formatFields, formatTable, out, printJson, shortTime } from './output-format.ts';

const EXAMPLES = `
Examples:
  $ agentd sessions list --agent hello --status active
  $ agentd sessions get ses_123             the session and its history
  $ agentd sessions end ses_123 --reason done
  $ agentd chat hello                        a new session in the terminal (see agentd chat --help)`;

export function formatSession(s: Session): string {
  return formatFields([
    ['id', s.id],
    ['agent', `${s.agent}/${s.endpoint}`],
    ['status', s.status + (s.end_reason ? ` (${s.end_reason})` : '')],
    ['messages', String(s.message_count)],
    ['in flight', s.current_run_id ?? '-'],
    ['forked from', s.forked_from ? `${s.forked_from.session_id} at message ${s.forked_from.seq}` : '-'],
    ['created', shortTime(s.created_at)],
    ['expires', s.expires_at ? shortTime(s.expires_at) : '-'],
  ]);
}

/** A message's content on one line: a string as it is, else compact JSON (shortened). */
export function contentLine(content: unknown, max = 80): string {
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `agentd sessions …`: list, inspect and end sessions (talk in one with `agentd chat`). */
export function registerSessionsCommand(program: Command): void {
  const sessions = addConnectionOptions(program.command('sessions').description('conversations with an agent: list, get, end (talk with `agentd chat`)')).addHelpText('after', EXAMPLES);

  sessions
    .command('list')
    .description('list sessions, newest first')
    .option('--agent <name>', 'only this agent\'s')
    .addOption(new Option('--status <status>', 'only sessions in this status').choices(SESSION_STATUSES))
    .option('--limit <n>', 'at most this many (default 50)', integerOption('--limit', 1, 500))
    .option('--json', 'print JSON')
    .action(
      clientAction<{ agent?: string; status?: SessionStatus; limit?: number; json?: boolean }, []>(async ({ client, options }) => {
        const page = await client.sessions.list({ agent: options.agent, status: options.status, limit: options.limit ?? 50 });
        if (options.json) return printJson(page.data);
        if (page.data.length === 0) return out('no sessions');
        out(formatTable(['ID', 'AGENT', 'STATUS', 'MESSAGES', 'IN FLIGHT', 'CREATED (UTC)'], page.data.map((s) => [s.id, `${s.agent}/${s.endpoint}`, s.status, String(s.message_count), s.current_run_id ?? '-', shortTime(s.created_at)])));
      }),
    );

  sessions
    .command('get <id>')
    .description('a session and its history (the newest 100 messages with --limit unset)')
    .option('--limit <n>', 'messages to show', integerOption('--limit', 1, 500))
    .option('--json', 'print the session and its messages as JSON')
    .action(
      clientAction<{ limit?: number; json?: boolean }, [string]>(async ({ client, options }, id) => {
        const session = await client.sessions.retrieve(id);
        const messages = [];
        for await (const m of client.sessions.messages(id, { limit: 100 })) messages.push(m);
        const shown = messages.slice(-(options.limit ?? 100));
        if (options.json) return printJson({ ...session, messages: shown });
        out(formatSession(session));
        if (shown.length > 0) out(formatTable(['SEQ', 'ROLE', 'STATUS', 'CONTENT'], shown.map((m) => [String(m.seq), m.role, m.status, contentLine(m.content)])));
      }),
    );

  sessions
    .command('end <id>')
    .description('end a session for good (later messages are 410; its live runs are cancelled)')
    .option('--reason <text>', 'kept with the session')
    .option('--json', 'print the session as JSON')
    .action(
      clientAction<{ reason?: string; json?: boolean }, [string]>(async ({ client, options }, id) => {
        const s = await client.sessions.end(id, options.reason ? { reason: options.reason } : {});
        if (options.json) printJson(s);
        else out(`session ${s.id} ended`);
      }),
    );
}
