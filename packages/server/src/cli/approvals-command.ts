import type { Approval } from '@agentd/sdk';
import type { Command } from 'commander';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { formatTable, out, printJson, shortTime } from './output-format.ts';

interface ListFlags {
  status?: string;
  agent?: string;
  run?: string;
  assignee?: string;
  all?: boolean;
  json?: boolean;
}

function summary(a: Approval): string {
  const votes = a.votes.map((v) => `${v.voter_name ?? v.voter}:${v.decision}`).join(', ');
  return `${a.id} ${a.status}${a.approved === null ? '' : a.approved ? ' (go ahead)' : ' (do not)'} — run ${a.run_id}${votes ? ` — votes ${votes}` : ''}`;
}

/** `agentd approvals …`: human decisions runs wait on. */
export function registerApprovalsCommand(program: Command): void {
  const approvals = addConnectionOptions(program.command('approvals').description('list and decide approvals (deciding needs an approver or admin key)'));

  approvals
    .command('list')
    .description('list approvals, newest first (pending ones by default)')
    .option('--status <status>', 'pending, approved, rejected, expired, cancelled, or "all"; several separated by commas', 'pending')
    .option('--agent <agent>', 'only this agent')
    .option('--run <id>', 'only this run')
    .option('--assignee <name>', 'only approvals assigned to this key name or id')
    .option('--all', 'every page, not just the first 50')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<ListFlags, []>(async ({ client, options }) => {
        const params = {
          status: options.status === 'all' ? undefined : options.status,
          agent: options.agent,
          run: options.run,
          assignee: options.assignee,
          limit: 50,
        };
        let data: Approval[];
        let next: string | null = null;
        if (options.all) {
          data = [];
          for await (const a of client.approvals.list(params)) data.push(a);
        } else {
          const page = await client.approvals.list(params);
          data = page.data;
          next = page.next_cursor;
        }
        if (options.json) return printJson({ data, next_cursor: next });
        out(
          formatTable(
            ['ID', 'STATUS', 'RUN', 'AGENT', 'PROMPT', 'VOTES', 'EXPIRES', 'CREATED'],
            data.map((a) => [a.id, a.status, a.run_id, a.agent, a.prompt.length > 40 ? `${a.prompt.slice(0, 39)}…` : a.prompt, `${a.votes.filter((v) => v.decision === 'approve').length}/${a.required_approvals}`, shortTime(a.expires_at), shortTime(a.created_at)]),
          ),
        );
      }),
    );

  approvals
    .command('get <id>')
    .description('show one approval with its payload and votes')
    .option('--json', 'print the approval as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const a = await client.approvals.retrieve(id);
        if (options.json) return printJson(a);
        out(summary(a));
        out(`prompt:  ${a.prompt}`);
        out(`payload: ${JSON.stringify(a.payload)}`);
      }),
    );

  approvals
    .command('approve <id>')
    .description('approve (one vote toward the required number of approvers)')
    .option('--comment <text>', 'a note kept with the decision')
    .option('--json', 'print the approval as JSON')
    .action(
      clientAction<{ comment?: string; json?: boolean }, [string]>(async ({ client, options }, id) => {
        const a = await client.approvals.approve(id, options.comment ? { comment: options.comment } : {});
        if (options.json) printJson(a);
        else out(summary(a));
      }),
    );

  approvals
    .command('reject <id>')
    .description('reject; one rejection decides')
    .requiredOption('--reason <text>', 'why (required)')
    .option('--json', 'print the approval as JSON')
    .action(
      clientAction<{ reason: string; json?: boolean }, [string]>(async ({ client, options }, id) => {
        const a = await client.approvals.reject(id, { reason: options.reason });
        if (options.json) printJson(a);
        else out(summary(a));
      }),
    );

  approvals
    .command('link <id>')
    .description('make a signed, single-use decision link (for an email or chat message)')
    .option('--decision <decision>', 'approve or reject; omit to let the holder choose')
    .option('--for <name>', 'who the link is for (recorded as the decider)')
    .option('--expires-in <minutes>', 'minutes until the link expires (default 7 days)')
    .option('--json', 'print the link as JSON')
    .action(
      clientAction<{ decision?: 'approve' | 'reject'; for?: string; expiresIn?: string; json?: boolean }, [string]>(async ({ client, options }, id) => {
        const link = await client.approvals.createLink(id, {
          decision: options.decision,
          for: options.for,
          expires_in_ms: options.expiresIn ? Number(options.expiresIn) * 60_000 : undefined,
        });
        if (options.json) return printJson(link);
        out(`${client.baseURL.replace(/\/$/, '')}${link.path}`);
      }),
    );
}
