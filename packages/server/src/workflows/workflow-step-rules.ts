import type { RunFailure } from '@agentd/protocol';
import { ExpressionError, type CompiledWorkflow } from '@agentd/protocol/workflow';
import type { WorkflowStepsTable } from '../store/index.ts';

// What the workflow driver (workflow-driver.ts) decides from a definition and step rows alone.

export const stepOf = (workflow: CompiledWorkflow, id: string) => workflow.steps.find((s) => s.id === id);

/** The consumer key of a signal wait step: one signal per step, found again after a restart. */
export const signalConsumer = (stepId: string) => `workflow:${stepId}`;

/** A gate: an approval or a wait step (no child run of its own); the workflow waits when only gates are live. */
export const isGate = (workflow: CompiledWorkflow, row: Pick<WorkflowStepsTable, 'step_id'>): boolean => stepOf(workflow, row.step_id)?.type !== 'agent';

/** Why a workflow waits at its gates: an approval first, then a signal, else a timer. */
export function gateReason(workflow: CompiledWorkflow, live: WorkflowStepsTable[]): 'approval' | 'signal' | 'sleep' {
  if (live.some((r) => r.approval_id !== null)) return 'approval';
  const signal = live.some((r) => {
    const s = stepOf(workflow, r.step_id);
    return s?.type === 'wait' && s.wait.kind === 'signal';
  });
  return signal ? 'signal' : 'sleep';
}

export const isFailedEval = (v: unknown): v is { failed: unknown } => typeof v === 'object' && v !== null && 'failed' in v && Object.keys(v).length === 1 && (v as { failed: unknown }).failed instanceof Error;

export function expressionFailure(err: unknown): RunFailure {
  if (err instanceof ExpressionError) return { type: 'expression_error', message: err.message, non_retryable: true, details: { path: err.path, code: err.code, position: err.position } };
  throw err;
}
