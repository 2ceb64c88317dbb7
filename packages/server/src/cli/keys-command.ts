import { ROLES, parseDuration, type ApiKey, type Role } from '@agentd/sdk';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { formatTable, note, out, printJson, shortTime } from './output-format.ts';

interface CreateFlags {
  role: Role;
  name?: string;
  agents?: string[];
  expiresAt?: string;
  json?: boolean;
}

/** `refund,billing` → `['refund', 'billing']`; `*` stays `['*']` (the server checks the names). */
export function parseAgentList(value: string): string[] {
  const agents = value.split(',').map((a) => a.trim());
  if (agents.some((a) => a === '')) throw new InvalidArgumentError('--agents takes agent names separated by commas, or "*" for every agent.');
  return agents;
}

/** An RFC 3339 time, or a duration from now (`30d`, `12h`), as the ISO time the API takes. */
export function parseExpiry(value: string, now: number = Date.now()): string {
  const ms = parseDuration(value);
  if (ms !== undefined && /[a-z]$/i.test(value.trim())) return new Date(now + ms).toISOString();
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}/.test(value.trim())) throw new InvalidArgumentError('--expires-at takes a time (2027-01-31T00:00:00Z) or a duration from now (30d, 12h).');
  return new Date(at).toISOString();
}

/** `agentd keys …`: API keys of the tenant (admin only). */
export function registerKeysCommand(program: Command): void {
  const keys = addConnectionOptions(program.command('keys').description('create, list and revoke API keys (needs an admin key)'));

  keys
    .command('create')
    .description('create an API key; it is printed this once and cannot be shown again')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
    .option('--name <name>', 'a label to recognise the key by')
    .option('--agents <names>', 'worker keys (required): the agents it may serve, comma-separated, or "*" for all (a "*" key gets no secrets)', parseAgentList)
    .option('--expires-at <time>', 'when the key stops working: a time (2027-01-31T00:00:00Z) or a duration from now (30d); default never', (v) => parseExpiry(v))
    .option('--json', 'print the created key object (with the key) as JSON')
    .action(
      clientAction<CreateFlags, []>(async ({ client, options }) => {
        const created = await client.keys.create({ role: options.role, name: options.name, agents: options.agents, expires_at: options.expiresAt });
        // The key alone on stdout, so `KEY=$(agentd keys create --role worker --agents a)` works; the
        // rest is for the person at the terminal.
        if (options.json) printJson(created);
        else out(created.key);
        const scope = created.agents ? ` for agents ${created.agents.join(',')}` : '';
        const expiry = created.expires_at ? `, expiring ${shortTime(created.expires_at)} UTC` : '';
        note(`created ${created.role} key ${created.id}${created.name ? ` (${created.name})` : ''}${scope}${expiry}: store it now, it will not be shown again`);
        if (created.agents?.includes('*')) note('a worker key for "*" serves every agent but receives no secrets; name the agents to deliver them');
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
            ['ID', 'NAME', 'ROLE', 'AGENTS', 'PREFIX', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'],
            data.map((k) => [k.id, k.name ?? '-', k.role, k.agents?.join(',') ?? '-', k.prefix, shortTime(k.created_at), shortTime(k.expires_at), shortTime(k.last_used_at), shortTime(k.revoked_at)]),
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
