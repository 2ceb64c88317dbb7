/** Workflow rows to wire objects, and the digest that tells an unchanged redeploy. */
import { createHash } from 'node:crypto';
import type { Workflow, WorkflowStepSummary, WorkflowVersion } from '@agentd/protocol';
import type { WorkflowDocument } from '@agentd/protocol/workflow';
import type { WorkflowVersionsTable, WorkflowsTable } from '../store/index.ts';
import type { WireFormat } from '../core/index.ts';
import { canonicalJson } from '../core/index.ts';

export function definitionDigest(document: unknown): string {
  return createHash('sha256').update(canonicalJson(document)).digest('hex');
}

/** What the steps are, read from a stored (so already validated) definition. */
function stepSummaries(document: WorkflowDocument): WorkflowStepSummary[] {
  return document.spec.steps.map((s) => ({
    id: String(s.id),
    type: s.approval !== undefined ? 'approval' : s.wait !== undefined ? 'wait' : 'agent',
    needs: Array.isArray(s.needs) ? s.needs.map(String) : [],
    agent: typeof s.agent === 'string' ? s.agent : null,
    endpoint: typeof s.endpoint === 'string' ? s.endpoint : null,
  }));
}

export function toWorkflow(row: WorkflowsTable, version: WorkflowVersionsTable, wire: WireFormat): Workflow {
  const definition = JSON.parse(version.definition) as WorkflowDocument;
  return {
    name: row.name,
    description: definition.metadata.description ?? null,
    version: version.version,
    steps: stepSummaries(definition),
    definition: definition as unknown as Record<string, unknown>,
    created_at: wire.iso(row.created_at),
    updated_at: wire.iso(row.updated_at),
  };
}

export function toWorkflowVersion(v: WorkflowVersionsTable, wire: WireFormat): WorkflowVersion {
  return { workflow: v.workflow, version: v.version, definition: JSON.parse(v.definition) as Record<string, unknown>, created_at: wire.iso(v.created_at) };
}
