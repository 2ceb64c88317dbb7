/**
 * Wire schemas of model usage (`GET /v1/usage`), the model alias list (`GET /v1/models`) and
 * the per-agent and per-tenant token/cost budgets (`/v1/budgets`). Costs travel as integer
 * micro-dollars (`cost_micros`, 1 USD = 1,000,000) next to a rounded `cost_usd` for reading;
 * sums are made of the integers, so they never drift.
 */
import Type, { type Static } from 'typebox';
import { MODEL_PROVIDERS } from './models.ts';
import { Nullable, OneOf, Time } from './common.ts';

/** A UTC day, `YYYY-MM-DD`. */
export const UsageDay = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', description: 'A UTC day, YYYY-MM-DD.' });

const Name = Type.String({ minLength: 1, maxLength: 200 });

export const UsageQuery = Type.Object(
  {
    agent: Type.Optional(Name),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'A model alias.' })),
    from: Type.Optional(UsageDay),
    to: Type.Optional(UsageDay),
  },
  { additionalProperties: false, description: 'Days are UTC and inclusive. Default: the 31 days up to today; at most 366 days at once.' },
);
export type UsageQuery = Static<typeof UsageQuery>;

const Counters = {
  input_tokens: Type.Integer({ description: 'Prompt tokens, cached ones included.' }),
  output_tokens: Type.Integer(),
  cached_input_tokens: Type.Integer({ description: 'The part of input_tokens read from the provider’s prompt cache.' }),
  total_tokens: Type.Integer({ description: 'input_tokens + output_tokens.' }),
  cost_micros: Type.Integer({ description: 'Cost in micro-dollars (1 USD = 1,000,000), from the alias prices.' }),
  cost_usd: Type.Number({ description: 'cost_micros / 1,000,000.' }),
  steps: Type.Integer({ description: 'Model calls recorded.' }),
  usage_missing_steps: Type.Integer({ description: 'Model calls whose response carried no usage: their tokens are unknown, not zero.' }),
};

/** One (day, agent, model alias) row. */
export const UsageRow = Type.Object({ day: UsageDay, agent: Type.String(), model: Type.String(), ...Counters });
export type UsageRow = Static<typeof UsageRow>;

export const UsageTotals = Type.Object(Counters);
export type UsageTotals = Static<typeof UsageTotals>;

export const UsageReport = Type.Object({
  from: UsageDay,
  to: UsageDay,
  data: Type.Array(UsageRow, { description: 'Newest day first, then agent and model by name.' }),
  totals: UsageTotals,
});
export type UsageReport = Static<typeof UsageReport>;

/** A model alias as `GET /v1/models` shows it: never a key, and the base URL without credentials or query. */
export const ModelInfo = Type.Object({
  alias: Type.String(),
  provider: OneOf(MODEL_PROVIDERS),
  model: Type.String(),
  base_url: Nullable(Type.String({ description: 'Scheme, host, port and path only.' })),
  api_key_secret: Nullable(Type.String({ description: 'The name of the vault secret holding the key (never its value).' })),
  prices: Type.Object({
    input: Nullable(Type.Number({ description: 'USD per million input tokens.' })),
    output: Nullable(Type.Number()),
    cached_input: Nullable(Type.Number({ description: 'Absent in the config: the input price.' })),
  }),
  requests_per_minute: Nullable(Type.Integer()),
  tokens_per_minute: Nullable(Type.Integer()),
  fallback: Nullable(Type.String()),
});
export type ModelInfo = Static<typeof ModelInfo>;

export const ModelList = Type.Object({ data: Type.Array(ModelInfo) });
export type ModelList = Static<typeof ModelList>;

export const BUDGET_PERIODS = ['day', 'month'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

const MaxTokens = Type.Integer({ minimum: 1, maximum: 1e15 });
const MaxCost = Type.Number({ minimum: 0.000001, maximum: 1e9, description: 'USD.' });

/**
 * `PUT /v1/budgets`: sets the day or month limits of the tenant (no `agent`) or of one agent,
 * replacing what was there; a limit left out is no limit, and neither limit removes the budget.
 * (Optional rather than nullable: with type coercion on, a union with null would read `0` as null.)
 */
export const BudgetPut = Type.Object(
  {
    agent: Type.Optional(Name),
    period: OneOf(BUDGET_PERIODS),
    max_tokens: Type.Optional(MaxTokens),
    max_cost: Type.Optional(MaxCost),
  },
  { additionalProperties: false },
);
export type BudgetPut = Static<typeof BudgetPut>;

export const Budget = Type.Object({
  agent: Nullable(Type.String({ description: 'null: the whole tenant.' })),
  period: OneOf(BUDGET_PERIODS),
  max_tokens: Nullable(Type.Integer()),
  max_cost: Nullable(Type.Number({ description: 'USD.' })),
  updated_at: Time,
});
export type Budget = Static<typeof Budget>;

/** `PUT /v1/budgets`' answer: the budget as it now stands, or `removed` when neither limit was given. */
export const BudgetPutResult = Type.Object({ budget: Nullable(Budget), removed: Type.Boolean() });
export type BudgetPutResult = Static<typeof BudgetPutResult>;

export const BudgetList = Type.Object({ data: Type.Array(Budget) });
export type BudgetList = Static<typeof BudgetList>;

export const BudgetListQuery = Type.Object({ agent: Type.Optional(Name) }, { additionalProperties: false });
export type BudgetListQuery = Static<typeof BudgetListQuery>;
