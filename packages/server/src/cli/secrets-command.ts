import { ConflictError, type Secret, type SecretDetail } from '@agentd/sdk';
import type { Command } from 'commander';
import { UsageError } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { readTextArgument } from './cli-input.ts';
import { formatFields, formatTable, out, printJson, shortTime } from './output-format.ts';

interface ValueFlags {
  value?: string;
  fromFile?: string;
  stdin?: boolean;
  description?: string;
  json?: boolean;
}

/**
 * The value from exactly one of --value, --from-file, --stdin. One trailing newline is dropped
 * from a file or stdin (what `echo` and editors add); the value is never printed.
 */
export function readSecretValue(flags: ValueFlags): string {
  const given = [flags.value !== undefined, flags.fromFile !== undefined, flags.stdin === true].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give the value with exactly one of --value <value>, --from-file <file> or --stdin');
  const value = flags.value ?? (flags.fromFile !== undefined ? readTextArgument(flags.fromFile, 'secret file') : readTextArgument('-', 'secret')).replace(/\r?\n$/, '');
  if (value.length === 0) throw new UsageError('the secret value is empty');
  return value;
}

function addValueOptions(command: Command): Command {
  return command
    .option('--value <value>', 'the value (visible in shell history and ps: prefer --from-file or --stdin)')
    .option('--from-file <file>', 'read the value from a file (one trailing newline dropped)')
    .option('--stdin', 'read the value from stdin (one trailing newline dropped)')
    .option('--description <text>', 'what the secret is for')
    .option('--json', 'print the secret metadata as JSON');
}

const describe = (s: Secret, verb: string): string => `${verb} secret ${s.name} version ${s.version}`;

/** `agentd secrets …`: the tenant's vault. Values go in; nothing here ever prints one. */
export function registerSecretsCommand(program: Command): void {
  const secrets = addConnectionOptions(program.command('secrets').description('store, rotate and delete secrets (values are never shown)'));

  addValueOptions(secrets.command('set <name>').description('create a secret, or rotate it (add a version) if it exists')).action(
    clientAction<ValueFlags, [string]>(async ({ client, options }, name) => {
      const value = readSecretValue(options);
      let secret: Secret;
      let verb = 'created';
      try {
        secret = await client.secrets.create({ name, value, ...(options.description !== undefined ? { description: options.description } : {}) });
      } catch (err) {
        if (!(err instanceof ConflictError) || err.code !== 'SECRET_EXISTS') throw err;
        secret = await client.secrets.rotate(name, { value, ...(options.description !== undefined ? { description: options.description } : {}) });
        verb = 'rotated';
      }
      if (options.json) printJson(secret);
      else out(describe(secret, verb));
    }),
  );

  addValueOptions(secrets.command('rotate <name>').description('add a new version of an existing secret; leases from now on deliver it')).action(
    clientAction<ValueFlags, [string]>(async ({ client, options }, name) => {
      const secret = await client.secrets.rotate(name, { value: readSecretValue(options), ...(options.description !== undefined ? { description: options.description } : {}) });
      if (options.json) printJson(secret);
      else out(describe(secret, 'rotated'));
    }),
  );

  secrets
    .command('list')
    .description('list secrets (names and metadata only)')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<{ json?: boolean }, []>(async ({ client, options }) => {
        const data: Secret[] = [];
        for await (const s of client.secrets.list({ limit: 500 })) data.push(s);
        if (options.json) return printJson({ data, next_cursor: null });
        if (data.length === 0) return out('no secrets yet: add one with agentd secrets set <name> --stdin');
        out(formatTable(['NAME', 'VERSION', 'KEK', 'UPDATED', 'DESCRIPTION'], data.map((s) => [s.name, String(s.version), s.kek_id, shortTime(s.updated_at), s.description ?? '-'])));
      }),
    );

  secrets
    .command('get <name>')
    .description("show a secret's metadata and versions (never the value)")
    .option('--json', 'print the secret metadata as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, name) => {
        const s = await client.secrets.retrieve(name);
        if (options.json) printJson(s);
        else out(formatSecret(s));
      }),
    );

  secrets
    .command('delete <name>')
    .description('delete a secret: every version is erased and its grants revoked')
    .option('--json', 'print the answer as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, name) => {
        const r = await client.secrets.delete(name);
        if (options.json) printJson(r);
        else out(`deleted secret ${r.name}${r.grants_revoked ? ` and revoked ${r.grants_revoked} grant(s)` : ''}`);
      }),
    );

  secrets
    .command('rewrap')
    .description('after a master-key rotation: re-wrap every data key under the current master key')
    .option('--json', 'print the answer as JSON')
    .action(
      clientAction<{ json?: boolean }, []>(async ({ client, options }) => {
        const r = await client.secrets.rewrap();
        if (options.json) printJson(r);
        else {
          out(`re-wrapped ${r.rewrapped} version(s) under master key ${r.kek_id}`);
          for (const f of r.failed) out(`  not re-wrapped: ${f.name} version ${f.version} (${f.kek_id}): ${f.reason}`);
        }
        return r.failed.length > 0 ? 1 : 0;
      }),
    );
}

function formatSecret(s: SecretDetail): string {
  const fields = formatFields([
    ['name', s.name],
    ['description', s.description ?? '-'],
    ['version', String(s.version)],
    ['kek', s.kek_id],
    ['created', shortTime(s.created_at)],
    ['updated', shortTime(s.updated_at)],
  ]);
  const versions = formatTable(['VERSION', 'KEK', 'CREATED'], s.versions.map((v) => [String(v.version), v.kek_id, shortTime(v.created_at)]));
  return `${fields}\n\n${versions}`;
}
