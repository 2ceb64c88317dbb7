import { ROLES, type ApiKey, type Role } from '@agentd/sdk';
import { Option, type Command } from 'commander';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { formatTable, note, out, printJson, shortTime } from './output-format.ts';

interface CreateFlags {
  role: Role;
  name?: string;
  json?: boolean;
}

/** `agentd keys …`: API keys of the tenant (admin only). */
export function registerKeysCommand(program: Command): void {
  const keys = addConnectionOptions(program.command('keys').description('create, list and revoke API keys (needs an admin key)'));

  keys
    .command('create')
    .description('create an API key; it is printed this once and cannot be shown again')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
    .option('--name <name>', 'a label to recognise the key by')
    .option('--json', 'print the created key object (with the key) as JSON')
    .action(
      clientAction<CreateFlags, []>(async ({ client, options }) => {
        const created = await client.keys.create({ role: options.role, name: options.name });
        // The key alone on stdout, so `KEY=$(agentd keys create --role worker)` works; the
        // rest is for the person at the terminal.
        if (options.json) printJson(created);
        else out(created.key);
        note(`created ${created.role} key ${created.id}${created.name ? ` (${created.name})` : ''}: store it now, it will not be shown again`);
      }),
    );

  keys
    .command('list')
    .description('list API keys (never the keys themselves)')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<{ json?: boolean }, []>(async ({ client, options }) => {
        const data: ApiKey[] = [];
        for await (const key of client.keys.list({ limit: 500 })) data.push(key);
        if (options.json) return printJson({ data, next_cursor: null });
        out(
          formatTable(
            ['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
            data.map((k) => [k.id, k.name ?? '-', k.role, k.prefix, shortTime(k.created_at), shortTime(k.last_used_at), shortTime(k.revoked_at)]),
          ),
        );
      }),
    );

  keys
    .command('revoke <id>')
    .description('revoke an API key, effective at once')
    .option('--json', 'print the revoked key as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const key = await client.keys.revoke(id);
        if (options.json) printJson(key);
        else out(`revoked key ${key.id}${key.name ? ` (${key.name})` : ''}`);
      }),
    );
}
