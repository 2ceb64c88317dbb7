import type { Budget, BudgetPut, BudgetPutResult, ModelInfo, UsageReport } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { RequestOptions } from '../core/request-options.ts';

export interface UsageGetParams {
  agent?: string;
  /** A model alias. */
  model?: string;
  /** First UTC day, `YYYY-MM-DD`, included. Default: 30 days before `to`. */
  from?: string;
  /** Last UTC day, included. Default: today. */
  to?: string;
}

export type BudgetSetParams = BudgetPut;

/** `GET /v1/usage`: tokens and cost of model calls by UTC day, agent and model alias. */
export class UsageResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Rows per (day, agent, model) and their totals; costs in integer micro-dollars (`cost_micros`) and USD.
   * @example const { totals } = await client.usage.get({ agent: 'assistant', from: '2026-12-01' });
   */
  get(params: UsageGetParams = {}, options?: RequestOptions): Promise<UsageReport> {
    return this.#client.request<UsageReport>({ method: 'GET', path: '/v1/usage', query: { ...params } }, options);
  }
}

/** `GET /v1/models`: the model aliases of the server (never a key). */
export class ModelsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /** @example for (const m of await client.models.list()) console.log(m.alias, m.provider, m.model); */
  async list(options?: RequestOptions): Promise<ModelInfo[]> {
    return (await this.#client.request<{ data: ModelInfo[] }>({ method: 'GET', path: '/v1/models' }, options)).data;
  }
}

/** `/v1/budgets`: daily and monthly token/cost limits of the tenant and of single agents. */
export class BudgetsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /** @example const budgets = await client.budgets.list({ agent: 'assistant' }); */
  async list(params: { agent?: string } = {}, options?: RequestOptions): Promise<Budget[]> {
    return (await this.#client.request<{ data: Budget[] }>({ method: 'GET', path: '/v1/budgets', query: { ...params } }, options)).data;
  }

  /**
   * Sets the tenant's (no `agent`) or an agent's budget for a day or a month, replacing its limits; neither limit removes it.
   * @example await client.budgets.set({ agent: 'assistant', period: 'day', max_tokens: 200_000, max_cost: 5 });
   */
  set(params: BudgetSetParams, options?: RequestOptions): Promise<BudgetPutResult> {
    return this.#client.request<BudgetPutResult>({ method: 'PUT', path: '/v1/budgets', body: params }, options);
  }
}
