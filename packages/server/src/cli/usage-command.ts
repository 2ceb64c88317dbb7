import type { Budget, UsageReport } from '@agentd/sdk';
import type { Command } from 'commander';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { UsageError } from './cli-errors.ts';
import { formatTable, out, printJson } from './output-format.ts';

const usd = (micros: number): string => `$${(micros / 1_000_000).toFixed(6)}`;
const limits = (b: Budget): string => [b.max_tokens !== null ? `${b.max_tokens} tokens` : null, b.max_cost !== null ? `$${b.max_cost}` : null].filter(Boolean).join(', ');

function printReport(r: UsageReport): void {
  if (r.data.length === 0) return out(`no model usage from ${r.from} to ${r.to}`);
  const rows = r.data.map((u) => [u.day, u.agent, u.model, String(u.input_tokens), String(u.cached_input_tokens), String(u.output_tokens), usd(u.cost_micros), String(u.steps), u.usage_missing_steps ? String(u.usage_missing_steps) : '']);
  const t = r.totals;
  rows.push(['total', '', '', String(t.input_tokens), String(t.cached_input_tokens), String(t.output_tokens), usd(t.cost_micros), String(t.steps), t.usage_missing_steps ? String(t.usage_missing_steps) : '']);
  out(formatTable(['DAY', 'AGENT', 'MODEL', 'INPUT', 'CACHED', 'OUTPUT', 'COST', 'CALLS', 'NO USAGE'], rows));
}

/** A positive number, or `none` (no such limit). */
function limitOption(name: string, v: string | undefined, parse: (s: string) => number): number | undefined {
  if (v === undefined || v === 'none') return undefined;
  const n = parse(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number or "none", not ${JSON.stringify(v)}`);
  return n;
}

/** `agentd usage`, `agentd models list`, `agentd budgets list|set`. */
export function registerUsageCommands(program: Command): void {
  addConnectionOptions(
    program
      .command('usage')
      .description('tokens and cost of model calls by UTC day, agent and model alias')
      .option('--agent <agent>', 'only this agent')
      .option('--model <alias>', 'only this model alias')
      .option('--from <day>', 'first UTC day YYYY-MM-DD (default: 30 days before --to)')
      .option('--to <day>', 'last UTC day YYYY-MM-DD (default: today)')
      .option('--json', 'print the report as JSON'),
  ).action(
    clientAction<{ agent?: string; model?: string; from?: string; to?: string; json?: boolean }, []>(async ({ client, options }) => {
      const r = await client.usage.get({ agent: options.agent, model: options.model, from: options.from, to: options.to });
      if (options.json) printJson(r);
      else printReport(r);
    }),
  );

  const models = addConnectionOptions(program.command('models').description('the model aliases LLM agents can name'));
  models
    .command('list')
    .description('list model aliases with provider, model and prices (never a key)')
    .option('--json', 'print {data} as JSON')
    .action(
      clientAction<{ json?: boolean }, []>(async ({ client, options }) => {
        const data = await client.models.list();
        if (options.json) return printJson({ data });
        if (data.length === 0) return out('no model aliases: add a models: section to the config file (agentd serve --config agentd.yaml)');
        const price = (p: number | null) => (p === null ? '-' : `$${p}`);
        out(
          formatTable(
            ['ALIAS', 'PROVIDER', 'MODEL', 'INPUT/M', 'OUTPUT/M', 'CACHED/M', 'RPM', 'TPM'],
            data.map((m) => [m.alias, m.provider, m.model, price(m.prices.input), price(m.prices.output), price(m.prices.cached_input), String(m.requests_per_minute ?? '-'), String(m.tokens_per_minute ?? '-')]),
          ),
        );
      }),
    );

  const budgets = addConnectionOptions(program.command('budgets').description("daily and monthly token/cost budgets of the tenant and its agents"));
  budgets
    .command('list')
    .description('list budgets')
    .option('--agent <agent>', "only this agent's")
    .option('--json', 'print {data} as JSON')
    .action(
      clientAction<{ agent?: string; json?: boolean }, []>(async ({ client, options }) => {
        const data = await client.budgets.list({ agent: options.agent });
        if (options.json) return printJson({ data });
        if (data.length === 0) return out('no budgets: set one with agentd budgets set --period day --max-cost 10');
        out(formatTable(['AGENT', 'PERIOD', 'LIMITS'], data.map((b) => [b.agent ?? '(tenant)', b.period, limits(b)])));
      }),
    );
  budgets
    .command('set')
    .description("set the tenant's budget (or one agent's with --agent) for a UTC day or month, replacing its limits; both none removes it")
    .requiredOption('--period <period>', 'day or month')
    .option('--agent <agent>', 'an agent (default: the whole tenant)')
    .option('--max-tokens <n>', 'input + output tokens, or none')
    .option('--max-cost <usd>', 'US dollars, or none')
    .option('--json', 'print the answer as JSON')
    .action(
      clientAction<{ period: string; agent?: string; maxTokens?: string; maxCost?: string; json?: boolean }, []>(async ({ client, options }) => {
        if (options.period !== 'day' && options.period !== 'month') throw new UsageError(`--period must be day or month, not ${JSON.stringify(options.period)}`);
        if (options.maxTokens === undefined && options.maxCost === undefined) throw new UsageError('give --max-tokens and/or --max-cost (none removes a limit)');
        const maxTokens = limitOption('--max-tokens', options.maxTokens, (s) => (/^[0-9]+$/.test(s) ? Number(s) : NaN));
        const maxCost = limitOption('--max-cost', options.maxCost, Number);
        const r = await client.budgets.set({ period: options.period, ...(options.agent ? { agent: options.agent } : {}), ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}), ...(maxCost !== undefined ? { max_cost: maxCost } : {}) });
        if (options.json) return printJson(r);
        const who = options.agent ? `agent ${options.agent}` : 'the tenant';
        out(r.budget ? `${options.period} budget of ${who}: ${limits(r.budget)}` : r.removed ? `removed the ${options.period} budget of ${who}` : `${who} has no ${options.period} budget`);
      }),
    );
}
