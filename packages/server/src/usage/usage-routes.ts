import { BudgetList, BudgetListQuery, BudgetPut, BudgetPutResult, UsageQuery, UsageReport } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { errors, tenantOf } from '../http/index.ts';

/** `GET /v1/usage` (tokens and cost by day, agent and model alias) and `/v1/budgets`. */
export function usageRoutes(app: RouteApp, { engine }: AppDeps): void {
  app.get(
    '/v1/usage',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['usage'],
        summary: 'Tokens and cost of model calls by UTC day, agent and model alias (cost in integer micro-dollars)',
        querystring: UsageQuery,
        response: { 200: UsageReport, ...errors(400, 401, 403) },
      },
    },
    async (request) => engine.usage.report({ tenantId: tenantOf(request), ...request.query }),
  );
  app.get(
    '/v1/budgets',
    {
      config: { permission: 'read' },
      schema: { tags: ['usage'], summary: "The tenant's and its agents' daily and monthly token/cost budgets", querystring: BudgetListQuery, response: { 200: BudgetList, ...errors(400, 401, 403) } },
    },
    async (request) => ({ data: await engine.usage.listBudgets(tenantOf(request), request.query.agent) }),
  );
  app.put(
    '/v1/budgets',
    {
      config: { permission: 'budgets:manage' },
      schema: {
        tags: ['usage'],
        summary: 'Set the daily or monthly budget of the tenant (no agent) or of one agent; neither limit removes it',
        body: BudgetPut,
        response: { 200: BudgetPutResult, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const { agent } = request.body;
      // An agent's budget names an agent of this tenant (404 otherwise, like a grant).
      if (agent) await engine.agents.get(tenantId, agent);
      return engine.usage.putBudget(tenantId, request.body);
    },
  );
}
