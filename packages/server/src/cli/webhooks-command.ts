import type { Webhook, WebhookDelivery, WebhookDeliveryStatus, WebhookWithSecret } from '@agentd/sdk';
import type { Command } from 'commander';
import { UsageError } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { formatFields, formatTable, out, printJson, shortTime } from './output-format.ts';

const list = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').map((x) => x.trim()).filter(Boolean)];

function formatWebhook(w: Webhook): string {
  return formatFields([
    ['id', w.id],
    ['url', w.url],
    ['events', w.events.join(', ')],
    ['agents', w.agents ? w.agents.join(', ') : '* (every agent)'],
    ['status', w.failing_since ? `${w.status} since ${shortTime(w.failing_since)}` : w.status],
    ['secret version', String(w.secret_version)],
    ['description', w.description ?? '-'],
    ['created', shortTime(w.created_at)],
    ['updated', shortTime(w.updated_at)],
  ]);
}

/** The secret, said once and plainly: nothing shows it again. */
function printSecret(w: WebhookWithSecret, verb: string): void {
  out(`${verb} webhook ${w.id} → ${w.url}`);
  out(`signing secret (shown once; verify deliveries with it, e.g. the standardwebhooks package):\n  ${w.secret}`);
}

/** `agentd webhooks …`: subscribe URLs to events, read the delivery log, redeliver. */
export function registerWebhooksCommand(program: Command): void {
  const webhooks = addConnectionOptions(program.command('webhooks').description('outbound event webhooks: subscribe URLs, read delivery logs, redeliver'));

  webhooks
    .command('create <url>')
    .description('subscribe a URL to events (signed as Standard Webhooks; the secret is shown once)')
    .requiredOption('--events <types>', 'event types or patterns, comma-separated or repeated: run.succeeded,run.failed, run.*, *', list)
    .option('--agents <names>', "only these agents' events, comma-separated or repeated (default: every agent)", list)
    .option('--description <text>', 'what the subscription is for')
    .option('--json', 'print the subscription, secret included, as JSON')
    .action(
      clientAction<{ events: string[]; agents?: string[]; description?: string; json?: boolean }, [string]>(async ({ client, options }, url) => {
        if (options.events.length === 0) throw new UsageError('--events needs at least one event type or pattern');
        const w = await client.webhooks.create({ url, events: options.events, ...(options.agents ? { agents: options.agents } : {}), ...(options.description !== undefined ? { description: options.description } : {}) });
        if (options.json) printJson(w);
        else printSecret(w, 'created');
      }),
    );

  webhooks
    .command('list')
    .description('list subscriptions (never their secrets)')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<{ json?: boolean }, []>(async ({ client, options }) => {
        const data: Webhook[] = [];
        for await (const w of client.webhooks.list({ limit: 500 })) data.push(w);
        if (options.json) return printJson({ data, next_cursor: null });
        if (data.length === 0) return out('no webhooks: add one with agentd webhooks create <url> --events run.succeeded');
        out(formatTable(['ID', 'URL', 'EVENTS', 'AGENTS', 'STATUS', 'CREATED'], data.map((w) => [w.id, w.url, w.events.join(','), w.agents?.join(',') ?? '*', w.status, shortTime(w.created_at)])));
      }),
    );

  webhooks
    .command('get <id>')
    .description('show a subscription (never its secret)')
    .option('--json', 'print the subscription as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const w = await client.webhooks.retrieve(id);
        if (options.json) printJson(w);
        else out(formatWebhook(w));
      }),
    );

  webhooks
    .command('update <id>')
    .description("change a subscription's URL, events, agents or description (the URL is checked against the egress policy)")
    .option('--target-url <url>', "where deliveries go (--url is the server's, as on every command)")
    .option('--events <types>', 'event types or patterns, comma-separated or repeated (replace the old ones)', list)
    .option('--agents <names>', "only these agents' events, comma-separated or repeated (replace the old ones)", list)
    .option('--all-agents', "every agent's events again")
    .option('--description <text>', "what the subscription is for ('' clears it)")
    .option('--json', 'print the subscription as JSON')
    .action(
      clientAction<{ targetUrl?: string; events?: string[]; agents?: string[]; allAgents?: boolean; description?: string; json?: boolean }, [string]>(async ({ client, options }, id) => {
        if (options.agents && options.allAgents) throw new UsageError('give --agents or --all-agents, not both');
        if (options.events?.length === 0) throw new UsageError('--events needs at least one event type or pattern');
        const params = {
          ...(options.targetUrl !== undefined ? { url: options.targetUrl } : {}),
          ...(options.events ? { events: options.events } : {}),
          ...(options.agents ? { agents: options.agents } : options.allAgents ? { agents: null } : {}),
          ...(options.description !== undefined ? { description: options.description === '' ? null : options.description } : {}),
        };
        if (Object.keys(params).length === 0) throw new UsageError('nothing to change: give --target-url, --events, --agents, --all-agents or --description');
        const w = await client.webhooks.update(id, params);
        if (options.json) printJson(w);
        else out(formatWebhook(w));
      }),
    );

  webhooks
    .command('delete <id>')
    .description('delete a subscription, its secrets and its delivery log')
    .option('--json', 'print the answer as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const r = await client.webhooks.delete(id);
        if (options.json) printJson(r);
        else out(`deleted webhook ${r.id}`);
      }),
    );

  webhooks
    .command('rotate-secret <id>')
    .description('replace the signing secret; the old one keeps signing beside it for the overlap')
    .option('--overlap <seconds>', 'how long the old secret still signs (default 86400; 0: stop now)', (v) => Number(v))
    .option('--json', 'print the subscription, new secret included, as JSON')
    .action(
      clientAction<{ overlap?: number; json?: boolean }, [string]>(async ({ client, options }, id) => {
        if (options.overlap !== undefined && !(Number.isInteger(options.overlap) && options.overlap >= 0)) throw new UsageError('--overlap must be a whole number of seconds');
        const w = await client.webhooks.rotateSecret(id, options.overlap !== undefined ? { overlap_seconds: options.overlap } : {});
        if (options.json) printJson(w);
        else printSecret(w, 'rotated the secret of');
      }),
    );

  webhooks
    .command('deliveries <id>')
    .description("a subscription's delivery log, newest first")
    .option('--status <status>', 'only pending, succeeded or failed deliveries')
    .option('--limit <n>', 'at most this many (default 50)', (v) => Number(v))
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<{ status?: string; limit?: number; json?: boolean }, [string]>(async ({ client, options }, id) => {
        if (options.status !== undefined && !['pending', 'succeeded', 'failed'].includes(options.status)) throw new UsageError('--status must be pending, succeeded or failed');
        const limit = options.limit ?? 50;
        if (!(Number.isInteger(limit) && limit >= 1)) throw new UsageError('--limit must be a positive integer');
        const data: WebhookDelivery[] = [];
        for await (const d of client.webhooks.deliveries(id, { limit: Math.min(limit, 500), ...(options.status ? { status: options.status as WebhookDeliveryStatus } : {}) })) {
          data.push(d);
          if (data.length >= limit) break;
        }
        if (options.json) return printJson({ data, next_cursor: null });
        if (data.length === 0) return out('no deliveries yet');
        out(
          formatTable(
            ['ID', 'EVENT', 'RUN', 'SEQ', 'STATUS', 'ATTEMPTS', 'CODE', 'NEXT', 'ERROR'],
            data.map((d) => [d.id, d.event_type, d.run_id, String(d.seq), d.status, String(d.attempts), d.last_status_code === null ? '-' : String(d.last_status_code), shortTime(d.next_attempt_at), d.last_error ?? '-']),
          ),
        );
      }),
    );

  webhooks
    .command('redeliver <id> <delivery-id>')
    .description('send a finished delivery once more, now (same webhook-id)')
    .option('--json', 'print the delivery as JSON')
    .action(
      clientAction<{ json?: boolean }, [string, string]>(async ({ client, options }, id, deliveryId) => {
        const d = await client.webhooks.redeliver(id, deliveryId);
        if (options.json) printJson(d);
        else out(`redelivering ${d.id} (${d.event_type} of run ${d.run_id}) to webhook ${d.webhook_id}`);
      }),
    );
}
