import { isTerminal, type RunStatus } from '@agentd/protocol';
import { toolName, type LlmToolSpec } from '@agentd/protocol/manifest';
import type { AgentService } from '../agents/index.ts';
import type { CallService } from '../calls/index.ts';
import { DomainError } from '../core/index.ts';
import type { ToolRunner } from '../tools/index.ts';
import { LoopParked, type LlmLease } from './llm-lease.ts';

/**
 * An agent endpoint as a tool: each call is a child run made through the loop's lease, with call
 * key `tool:<recorded tool call id>` (`s<step>-<provider id>`, see recordedCallIds), so a call retried after a crash finds the child it made before
 * (idempotent by its key) and never makes a second one. The arguments are the child's input; its
 * output is the tool's result. While the child is live the run is parked (no lease, no memory):
 * its end puts the run back in the queue, and this call, made again by the next holder, finds it
 * ended.
 */
export async function agentTool(deps: { agents: AgentService; calls: CallService }, lease: LlmLease, entry: Extract<LlmToolSpec, { kind: 'agent' }>): Promise<ToolRunner> {
  const target = await deps.agents.resolveLatest(lease.tenantId, entry.agent, entry.endpoint).catch((err: unknown) => {
    if (err instanceof DomainError) throw new DomainError(err.code, `tool ${toolName(entry)}: ${err.message}`);
    throw err;
  });
  const input = target.spec.input;
  const schema = input && typeof input === 'object' && Object.keys(input).length > 0 ? (input as Record<string, unknown>) : { type: 'object' };
  return {
    spec: {
      name: toolName(entry),
      description: entry.description ?? target.spec.description ?? `Runs agent ${entry.agent}, endpoint ${entry.endpoint}.`,
      inputSchema: schema,
      idempotent: true,
    },
    async call(req) {
      const key = `tool:${req.toolCallId}`;
      try {
        // A live child parks the run in the commit that made (or found) it: the child's end puts the run back in the queue.
        const { run } = await deps.calls.call(req.tenantId, lease.leaseId, { agent: entry.agent, endpoint: entry.endpoint, input: req.args, key }, { park: true });
        if (!isTerminal(run.status as RunStatus)) throw new LoopParked('child');
        if (run.status === 'succeeded') return { ok: true, output: run.output };
        return { ok: false, error: { code: `child_${run.status}`, message: run.error?.message ?? `the ${entry.agent} run ${run.id} ended ${run.status}` } };
      } catch (err) {
        // A refusal of the call itself (input invalid, caps reached) is the model's to hear; a lost lease is not.
        if (err instanceof DomainError && err.code !== 'LEASE_LOST' && err.code !== 'LEASE_NOT_FOUND') return { ok: false, error: { code: err.code.toLowerCase(), message: err.message } };
        throw err;
      }
    },
  };
}
