import { schemaProblems } from '@agentd/protocol/manifest';
import type { AgentStep } from '@agentd/protocol/workflow';
import type { AgentService } from '../agents/index.ts';
import type { LeaseService } from '../leases/index.ts';
import { createRuns } from '../runs/index.ts';
import type { RunsTable, Store, WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';

/** What creating a step's child run needs of the engine. */
export interface StepChildDeps {
  store: Store;
  agents: AgentService;
  leases: LeaseService;
}

/** The call key of a step's child run: `step:<id>`, and `step:<id>#<index>` for a for_each item. */
export const stepCallKey = (stepId: string, iteration: number): string => (iteration < 0 ? `step:${stepId}` : `step:${stepId}#${iteration}`);

/** The iteration a step's child run's call key names (-1: the step itself); null when it is not one of `stepId`'s. */
export function iterationOf(callKey: string | null, stepId: string): number | null {
  if (callKey === `step:${stepId}`) return -1;
  const m = callKey?.startsWith(`step:${stepId}#`) ? /^\d+$/.exec(callKey.slice(stepId.length + 6)) : null;
  return m ? Number(m[0]) : null;
}

/**
 * Checks an agent step's agent, endpoint and `input` (evaluated) against the tenant as it is now:
 * answers the endpoint, or throws AGENT_NOT_FOUND, ENDPOINT_NOT_FOUND, ENDPOINT_DISABLED or
 * INPUT_INVALID (with paths under the step's `input`). Read in the transaction: on SQLite it
 * holds the only connection.
 */
export async function stepEndpoint(ctx: WriteContext, deps: StepChildDeps, run: RunsTable, step: AgentStep) {
  const agent = await ctx.trx.selectFrom('agents').selectAll().where('tenant_id', '=', run.tenant_id).where('name', '=', step.agent).where('deleted_at', 'is', null).executeTakeFirst();
  if (!agent) throw new DomainError('AGENT_NOT_FOUND', `no agent named ${JSON.stringify(step.agent)}`);
  const ep = await deps.agents.resolve({ tenantId: run.tenant_id, agent: step.agent, version: agent.latest_version, endpoint: step.endpoint, db: ctx.trx });
  if ((JSON.parse(agent.disabled_endpoints) as string[]).includes(step.endpoint)) throw new DomainError('ENDPOINT_DISABLED', `endpoint ${step.agent}/${step.endpoint} is disabled`);
  return ep;
}

export type StepEndpoint = Awaited<ReturnType<typeof stepEndpoint>>;

/** Throws INPUT_INVALID when `input` does not fit the endpoint's input schema. */
export function checkStepInput(ep: StepEndpoint, step: AgentStep, input: unknown, iteration: number): void {
  if (ep.validateInput(input)) return;
  const what = iteration < 0 ? `step ${step.id}` : `item ${iteration} of step ${step.id}`;
  throw new DomainError('INPUT_INVALID', `the input of ${what} does not match the schema of ${step.agent}/${step.endpoint}`, schemaProblems(`${step.path}.input`, ep.validateInput.errors));
}

/**
 * Creates the child run of an agent step (or of one for_each item): call key `stepCallKey`, `step`
 * the step id, the step's retry and timeout (else the endpoint's), the workflow's deadline and
 * priority; handed to parked pollers. The workflow run's child_count grows by one.
 */
export async function createStepChild(ctx: WriteContext, deps: StepChildDeps, run: RunsTable, step: AgentStep, ep: StepEndpoint, input: unknown, iteration: number): Promise<RunsTable> {
  const retry = step.retry ?? ep.spec.retry;
  const [child] = await createRuns(ctx, [
    {
      approval: ep.spec.approval,
      run: {
        id: deps.store.ids.next('run', ctx.now),
        tenant_id: run.tenant_id,
        agent: ep.agent,
        agent_version: ep.version,
        endpoint: ep.endpoint,
        input: JSON.stringify(input),
        output: null,
        error: null,
        metadata: JSON.stringify(iteration < 0 ? { workflow: run.agent, workflow_version: run.agent_version, step: step.id } : { workflow: run.agent, workflow_version: run.agent_version, step: step.id, iteration }),
        priority: run.priority,
        attempts: 0,
        max_attempts: retry.max_attempts,
        retry: JSON.stringify(retry),
        timeout_ms: step.timeout_ms ?? ep.spec.timeout_ms,
        deadline_at: run.deadline_at,
        available_at: ctx.now,
        lease_id: null,
        lease_expires_at: null,
        lease_ttl_ms: null,
        attempt_deadline_at: null,
        worker_id: null,
        created_at: ctx.now,
        started_at: null,
        finished_at: null,
        updated_at: ctx.now,
        parent_run_id: run.id,
        root_run_id: run.root_run_id ?? run.id,
        caller_agent: run.agent,
        depth: run.depth + 1,
        call_key: stepCallKey(step.id, iteration),
        step: step.id,
        kind: 'agent',
        child_count: 0,
        session_id: null,
      },
    },
  ]);
  await ctx.trx.updateTable('runs').set((eb) => ({ child_count: eb('child_count', '+', 1) })).where('tenant_id', '=', run.tenant_id).where('id', '=', run.id).execute();
  run.child_count += 1;
  if (child.status === 'queued') await deps.leases.handOffIn(ctx, [child]);
  return child;
}
