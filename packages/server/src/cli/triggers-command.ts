import { createHmac, randomBytes } from 'node:crypto';
import type { Trigger, TriggerDelivery, TriggerDeliveryOutcome, TriggerMapping, TriggerTarget, TriggerWithSecret } from '@agentd/sdk';
import { Option, type Command } from 'commander';
import { integerOption, reportError, UsageError } from './cli-errors.ts';
import { parseJsonArgument, readTextArgument } from './cli-input.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { formatFields, formatTable, out, printJson, shortTime } from './output-format.ts';

interface DefinitionFlags {
  target?: TriggerTarget;
  name?: string;
  description?: string;
  pointer?: string;
  template?: string;
  rate?: { count: number; period_seconds: number };
  json?: boolean;
}

/** `agent/endpoint` or `workflow:<name>` → the trigger's target. */
export function parseTriggerTarget(value: string): TriggerTarget {
  const v = value.trim();
  if (v.startsWith('workflow:') && v.length > 9) return { workflow: v.slice(9) };
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(v);
  if (!m) throw new UsageError('--target takes <agent>/<endpoint> (hello/greet) or workflow:<name>');
  return { agent: m[1], endpoint: m[2] };
}

/** `100/60` → 100 deliveries per 60 s. */
function parseRate(value: string): { count: number; period_seconds: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!m) throw new UsageError('--rate takes <count>/<seconds>, like 600/60');
  return { count: Number(m[1]), period_seconds: Number(m[2]) };
}

function mappingOf(flags: DefinitionFlags): TriggerMapping | undefined {
  if (flags.pointer !== undefined && flags.template !== undefined) throw new UsageError('give --pointer or --template, not both');
  if (flags.pointer !== undefined) return { pointer: flags.pointer };
  if (flags.template !== undefined) return { template: parseJsonArgument(flags.template, '--template') };
  return undefined;
}

const targetText = (t: TriggerTarget): string => ('workflow' in t ? `workflow:${t.workflow}` : `${t.agent}/${t.endpoint}`);
const mappingText = (m: TriggerMapping | null): string => (m === null ? 'the whole body' : 'pointer' in m ? `pointer ${m.pointer || '""'}` : `template ${JSON.stringify(m.template)}`);

function formatTrigger(t: Trigger): string {
  return formatFields([
    ['id', t.id],
    ['name', t.name ?? '-'],
    ['url', t.url],
    ['target', targetText(t.target)],
    ['auth', t.auth],
    ['input', mappingText(t.mapping)],
    ['rate limit', `${t.rate_limit.count} per ${t.rate_limit.period_seconds} s`],
    ['secret version', String(t.secret_version)],
    ['description', t.description ?? '-'],
    ['created', shortTime(t.created_at)],
    ['updated', shortTime(t.updated_at)],
  ]);
}

function printSecret(t: TriggerWithSecret, verb: string): void {
  out(`${verb} trigger ${t.id} → ${targetText(t.target)}`);
  out(`url: ${t.url}`);
  const how = t.auth === 'signature' ? 'senders sign deliveries with it as Standard Webhooks; try: agentd triggers sign' : 'senders send it as Authorization: Bearer <secret>';
  out(`secret (shown once; ${how}):\n  ${t.secret}`);
}

/** The body to sign: inline text, @file, or @- for stdin, signed exactly as given (no re-encoding). */
function payloadOf(value: string): string {
  return value.startsWith('@') ? readTextArgument(value.slice(1), 'payload file') : value;
}

/** The HMAC key of a `whsec_…` secret: the bytes its base64 part decodes to; null when it is not one. */
function secretKey(secret: string): Buffer | null {
  const raw = secret.startsWith('whsec_') ? secret.slice(6) : secret;
  const key = Buffer.from(raw, 'base64');
  return key.length >= 24 && key.length <= 64 && key.toString('base64') === raw ? key : null;
}

/** Standard Webhooks: `v1,` + base64 of HMAC-SHA256 over `id.timestamp.body` (the server verifies with the standardwebhooks package). */
const signature = (key: Buffer, id: string, at: Date, body: string): string => `v1,${createHmac('sha256', key).update(`${id}.${Math.floor(at.getTime() / 1000)}.${body}`).digest('base64')}`;

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `agentd triggers …`: inbound webhook triggers, their delivery logs, and signing test deliveries. */
export function registerTriggersCommand(program: Command): void {
  const triggers = addConnectionOptions(program.command('triggers').description('inbound webhook triggers: URLs other systems call (signed) to start runs'));

  triggers
    .command('create')
    .description('create a trigger (its secret is shown once)')
    .requiredOption('--target <agent/endpoint|workflow:name>', 'what each delivery starts', parseTriggerTarget)
    .option('--name <name>', 'a name unique in the tenant')
    .option('--description <text>', 'what the trigger is for')
    .addOption(new Option('--auth <mode>', 'signature (Standard Webhooks, default) or bearer').choices(['signature', 'bearer']))
    .option('--secret-env <VAR>', "use the sender's own secret, read from this environment variable")
    .option('--pointer <json-pointer>', 'the run input is this part of the body (/data/order)')
    .option('--template <json|@file>', 'the run input is this template of {% expressions %} reading body and headers')
    .option('--rate <count/seconds>', 'deliveries allowed per period (default 600/60)', parseRate)
    .option('--json', 'print the trigger, secret included, as JSON')
    .action(
      clientAction<DefinitionFlags & { auth?: 'signature' | 'bearer'; secretEnv?: string }, []>(async ({ client, options }) => {
        const secret = options.secretEnv !== undefined ? process.env[options.secretEnv] : undefined;
        if (options.secretEnv !== undefined && !secret) throw new UsageError(`--secret-env ${options.secretEnv}: that environment variable is not set`);
        const mapping = mappingOf(options);
        const t = await client.triggers.create({
          target: options.target!,
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.auth ? { auth: options.auth } : {}),
          ...(secret ? { secret } : {}),
          ...(mapping ? { mapping } : {}),
          ...(options.rate ? { rate_limit: options.rate } : {}),
        });
        if (options.json) printJson(t);
        else printSecret(t, 'created');
      }),
    );

  triggers
    .command('list')
    .description('list triggers (never their secrets)')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<{ json?: boolean }, []>(async ({ client, options }) => {
        const data: Trigger[] = [];
        for await (const t of client.triggers.list({ limit: 500 })) data.push(t);
        if (options.json) return printJson({ data, next_cursor: null });
        if (data.length === 0) return out('no triggers: add one with agentd triggers create --target <agent>/<endpoint>');
        out(formatTable(['ID', 'NAME', 'TARGET', 'AUTH', 'URL', 'CREATED'], data.map((t) => [t.id, t.name ?? '-', targetText(t.target), t.auth, t.url, shortTime(t.created_at)])));
      }),
    );

  triggers
    .command('get <id>')
    .description('show a trigger (never its secret)')
    .option('--json', 'print the trigger as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const t = await client.triggers.retrieve(id);
        if (options.json) printJson(t);
        else out(formatTrigger(t));
      }),
    );

  triggers
    .command('update <id>')
    .description("change a trigger's target, name, description, mapping or rate")
    .option('--target <agent/endpoint|workflow:name>', 'what each delivery starts', parseTriggerTarget)
    .option('--name <name>', 'a name unique in the tenant')
    .option('--description <text>', 'what the trigger is for')
    .option('--pointer <json-pointer>', 'the run input is this part of the body')
    .option('--template <json|@file>', 'the run input is this template')
    .option('--whole-body', 'the run input is the whole body again')
    .option('--rate <count/seconds>', 'deliveries allowed per period', parseRate)
    .option('--json', 'print the trigger as JSON')
    .action(
      clientAction<DefinitionFlags & { wholeBody?: boolean }, [string]>(async ({ client, options }, id) => {
        const mapping = options.wholeBody ? null : mappingOf(options);
        const t = await client.triggers.update(id, {
          ...(options.target ? { target: options.target } : {}),
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(mapping !== undefined ? { mapping } : {}),
          ...(options.rate ? { rate_limit: options.rate } : {}),
        });
        if (options.json) printJson(t);
        else out(formatTrigger(t));
      }),
    );

  triggers
    .command('delete <id>')
    .description('delete a trigger, its secrets, receipts and delivery log')
    .option('--json', 'print the answer as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const r = await client.triggers.delete(id);
        if (options.json) printJson(r);
        else out(`deleted trigger ${r.id}`);
      }),
    );

  triggers
    .command('rotate-secret <id>')
    .description('replace the secret; the old one keeps verifying beside it for the overlap')
    .option('--overlap <seconds>', 'how long the old secret still verifies (default 86400; 0: stop now)', integerOption('--overlap', 0, 7 * 86_400))
    .option('--secret-env <VAR>', "use the sender's own new secret, read from this environment variable")
    .option('--json', 'print the trigger, new secret included, as JSON')
    .action(
      clientAction<{ overlap?: number; secretEnv?: string; json?: boolean }, [string]>(async ({ client, options }, id) => {
        const secret = options.secretEnv !== undefined ? process.env[options.secretEnv] : undefined;
        if (options.secretEnv !== undefined && !secret) throw new UsageError(`--secret-env ${options.secretEnv}: that environment variable is not set`);
        const t = await client.triggers.rotateSecret(id, { ...(options.overlap !== undefined ? { overlap_seconds: options.overlap } : {}), ...(secret ? { secret } : {}) });
        if (options.json) printJson(t);
        else printSecret(t, 'rotated the secret of');
      }),
    );

  triggers
    .command('deliveries <id>')
    .description("a trigger's verified deliveries, newest first")
    .addOption(new Option('--outcome <outcome>', 'only started, duplicate or rejected deliveries').choices(['started', 'duplicate', 'rejected']))
    .option('--limit <n>', 'at most this many (default 50)', integerOption('--limit', 1, 10_000))
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<{ outcome?: TriggerDeliveryOutcome; limit?: number; json?: boolean }, [string]>(async ({ client, options }, id) => {
        const limit = options.limit ?? 50;
        const data: TriggerDelivery[] = [];
        for await (const d of client.triggers.deliveries(id, { limit: Math.min(limit, 500), ...(options.outcome ? { outcome: options.outcome } : {}) })) {
          data.push(d);
          if (data.length >= limit) break;
        }
        if (options.json) return printJson({ data, next_cursor: null });
        if (data.length === 0) return out('no deliveries yet');
        out(formatTable(['ID', 'RECEIVED', 'MESSAGE', 'OUTCOME', 'STATUS', 'RUN', 'ERROR'], data.map((d) => [d.id, shortTime(d.received_at), d.message_id ?? '-', d.outcome, String(d.status_code), d.run_id ?? '-', d.error ? `${d.error.code}: ${d.error.message}` : '-'])));
      }),
    );

  // Offline: signs with the secret it is given, talks to no server.
  triggers
    .command('sign <payload>')
    .description('sign a payload as Standard Webhooks for a test delivery (inline JSON, @file or @-); prints the headers, or a curl command')
    .option('--secret-env <VAR>', 'the environment variable holding the trigger secret (default AGENTD_TRIGGER_SECRET)')
    .option('--id <webhook-id>', 'the message id (default a new msg_…; reuse one to see deduplication)')
    .option('--timestamp <unix-seconds>', 'the signing time (default now)', integerOption('--timestamp', 0, 2 ** 40))
    .option('--curl <url>', "print a curl command that delivers it to the trigger's url")
    .option('--json', 'print the headers as JSON')
    .action((payloadArg: string, options: { secretEnv?: string; id?: string; timestamp?: number; curl?: string; json?: boolean }) => {
      try {
        signCommand(payloadArg, options);
      } catch (err) {
        process.exitCode = reportError(err, { url: '', apiKey: undefined });
      }
    });
}

function signCommand(payloadArg: string, options: { secretEnv?: string; id?: string; timestamp?: number; curl?: string; json?: boolean }): void {
  const envName = options.secretEnv ?? 'AGENTD_TRIGGER_SECRET';
  const secret = process.env[envName];
  if (!secret) throw new UsageError(`set ${envName} to the trigger's secret (whsec_…): it is read from the environment, so it stays out of shell history`);
  const payload = payloadOf(payloadArg);
  const key = secretKey(secret);
  if (!key) throw new UsageError(`${envName} is not a Standard Webhooks secret: whsec_ followed by base64 of 24 to 64 bytes`);
  const id = options.id ?? `msg_${randomBytes(12).toString('hex')}`;
  const at = new Date((options.timestamp ?? Math.floor(Date.now() / 1000)) * 1000);
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature(key, id, at, payload) };
  if (options.json) return printJson(headers);
  if (options.curl !== undefined) {
    const h = Object.entries({ 'content-type': 'application/json', ...headers }).map(([k, v]) => `-H ${shellQuote(`${k}: ${v}`)}`).join(' ');
    return out(`curl -sS -X POST ${shellQuote(options.curl)} ${h} --data-binary ${shellQuote(payload)}`);
  }
  for (const [k, v] of Object.entries(headers)) out(`${k}: ${v}`);
}
