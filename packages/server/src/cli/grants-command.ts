import type { Grant } from '@agentd/sdk';
import type { Command } from 'commander';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { formatTable, out, printJson, shortTime } from './output-format.ts';

const describe = (g: Grant): string => `${g.secret} → ${g.agent}${g.endpoint ? `/${g.endpoint}` : ' (all endpoints)'}`;

/** `agentd grants …`: which agent receives which secret in its leases. */
export function registerGrantsCommand(program: Command): void {
  const grants = addConnectionOptions(program.command('grants').description('grant secrets to agents, list and revoke grants'));

  grants
    .command('add <secret> <agent>')
    .description("grant a secret to an agent (or one endpoint): its workers receive it in their leases")
    .option('--endpoint <endpoint>', 'only this endpoint of the agent (default: every endpoint)')
    .option('--json', 'print the grant as JSON')
    .action(
      clientAction<{ endpoint?: string; json?: boolean }, [string, string]>(async ({ client, options }, secret, agent) => {
        const g = await client.grants.create({ secret, agent, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
        if (options.json) printJson(g);
        else out(`granted ${describe(g)}: ${g.id}`);
      }),
    );

  grants
    .command('list')
    .description('list active grants')
    .option('--agent <agent>', 'only grants to this agent')
    .option('--secret <secret>', 'only grants of this secret')
    .option('--all', 'revoked grants too')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<{ agent?: string; secret?: string; all?: boolean; json?: boolean }, []>(async ({ client, options }) => {
        const data: Grant[] = [];
        for await (const g of client.grants.list({ limit: 500, agent: options.agent, secret: options.secret, include_revoked: options.all ? true : undefined })) data.push(g);
        if (options.json) return printJson({ data, next_cursor: null });
        if (data.length === 0) return out('no grants: add one with agentd grants add <secret> <agent>');
        out(
          formatTable(
            ['ID', 'SECRET', 'AGENT', 'ENDPOINT', 'CREATED', 'REVOKED'],
            data.map((g) => [g.id, g.secret, g.agent, g.endpoint ?? '*', shortTime(g.created_at), shortTime(g.revoked_at)]),
          ),
        );
      }),
    );

  grants
    .command('revoke <id>')
    .description('revoke a grant; leases from now on no longer carry the secret')
    .option('--json', 'print the revoked grant as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const g = await client.grants.revoke(id);
        if (options.json) printJson(g);
        else out(`revoked grant ${g.id} (${describe(g)})`);
      }),
    );
}
