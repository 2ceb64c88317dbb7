import type { AuditListParams, AuditRecord } from '@agentd/sdk';
import { Option, type Command } from 'commander';
import { integerOption } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { formatAuditTable } from './finding-log-output.ts';
import { note, out, printJson } from './output-format.ts';

interface ListFlags {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: 'ok' | 'denied' | 'error';
  since?: string;
  until?: string;
  limit?: number;
  all?: boolean;
  json?: boolean;
}

const MAX_PAGE = 500;

/** `agentd audit …`: the append-only audit trail (needs an admin key). */
export function registerAuditCommand(program: Command): void {
  const audit = addConnectionOptions(program.command('audit').description('read the audit trail: who did what to which target, and how it went (needs an admin key)'));
  audit
    .command('list')
    .description('list audit records, newest first')
    .option('--actor <key-id>', 'only what this API key did')
    .option('--action <action>', 'only this action, exactly: "POST /v1/runs/{id}/cancel"')
    .option('--target <type[:id]>', 'only this target: run:run_123, or every run with "run"')
    .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(['ok', 'denied', 'error']))
    .option('--since <time>', 'only records at or after this ISO time')
    .option('--until <time>', 'only records before this ISO time')
    .addOption(new Option('--limit <n>', 'show at most n records, 1-500 (default 50)').argParser(integerOption('--limit', 1, MAX_PAGE)).conflicts('all'))
    .option('--all', 'show every matching record, fetching page after page')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<ListFlags, []>(async ({ client, options }) => {
        const [targetType, targetId] = splitTarget(options.target);
        const params: AuditListParams = { actor: options.actor, action: options.action, target_type: targetType, target_id: targetId, outcome: options.outcome, since: options.since, until: options.until };
        let data: AuditRecord[];
        let nextCursor: string | null = null;
        if (options.all) {
          data = [];
          for await (const r of client.audit.list({ ...params, limit: MAX_PAGE })) data.push(r);
        } else {
          const page = await client.audit.list({ ...params, limit: options.limit });
          data = page.data;
          nextCursor = page.next_cursor;
        }
        if (options.json) return printJson({ data, next_cursor: nextCursor });
        if (data.length === 0) return out('no audit records');
        out(formatAuditTable(data));
        if (nextCursor) note('(more records: raise --limit or pass --all)');
      }),
    );
}

/** `run:run_123` → [run, run_123]; `run` → [run, undefined]. Ids never hold a colon. */
function splitTarget(target: string | undefined): [string | undefined, string | undefined] {
  if (!target) return [undefined, undefined];
  const i = target.indexOf(':');
  return i < 0 ? [target, undefined] : [target.slice(0, i), target.slice(i + 1) || undefined];
}
