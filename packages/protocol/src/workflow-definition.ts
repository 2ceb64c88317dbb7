/**
 * Workflow definitions (`kind: Workflow`, YAML or JSON): parse, validate with field paths, compile
 * every template and condition. Offline — no agent lookups — so the CLI's `agentd validate` runs
 * it as is; the server adds the check that each step's agent and endpoint exist in the tenant.
 *
 * ```yaml
 * apiVersion: agentd.dev/v1
 * kind: Workflow
 * metadata: { name: pipeline, description: … }
 * spec:
 *   input: { JSON Schema, optional }
 *   output: "{% steps.publish.output %}"   # optional; default: the leaf steps' outputs by id
 *   steps:
 *     - id: research
 *       agent: researcher
 *       endpoint: research
 *       input: { topic: "{% input.topic %}" }
 * ```
 */
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { FieldProblem } from './errors.ts';
import { AGENT_NAME_PATTERN, MANIFEST_API_VERSION, checkKeys, createSchemaCompiler, parseManifestText, validateSchema } from './manifest.ts';
import { compileTemplate, type CompiledTemplate } from './workflow-expressions.ts';
import { checkGraph } from './workflow-graph.ts';
import { validateStep, type AgentStep, type WorkflowStep } from './workflow-steps.ts';

export * from './workflow-expressions.ts';
export * from './workflow-steps.ts';
export { checkReads, type ReadRules, type WorkflowGraph } from './workflow-graph.ts';

export const WORKFLOW_KIND = 'Workflow';
/** Workflow names follow agent names (they show where an agent's name would, in a run). */
export const WORKFLOW_NAME_PATTERN = AGENT_NAME_PATTERN;
export const MAX_WORKFLOW_STEPS = 200;

/** The document as written (and as stored and answered). */
export interface WorkflowDocument {
  apiVersion: string;
  kind: 'Workflow';
  metadata: { name: string; description?: string; labels?: Record<string, string> };
  spec: { input?: Record<string, unknown>; output?: unknown; steps: Record<string, unknown>[] };
}

export interface CompiledWorkflow {
  name: string;
  description: string | null;
  document: WorkflowDocument;
  /** JSON Schema of the workflow's input; null: any input. */
  inputSchema: Record<string, unknown> | null;
  /** null: the workflow's output is an object of the leaf steps' outputs by id. */
  output: CompiledTemplate | null;
  /** In written order. */
  steps: WorkflowStep[];
  /** Step ids, every step after its needs. */
  order: string[];
  leaves: string[];
}

export type WorkflowResult = { ok: true; value: CompiledWorkflow } | { ok: false; problems: FieldProblem[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses definition text: JSON when it looks like JSON, YAML otherwise (as agent manifests). */
export const parseWorkflowText = parseManifestText;

/** Whether a parsed document says `kind: Workflow` (so `agentd validate` knows which check to run). */
export function isWorkflowDocument(raw: unknown): boolean {
  return isObject(raw) && raw.kind === WORKFLOW_KIND;
}

function metadataOf(raw: unknown, problems: FieldProblem[]): { name: string; description: string | null } {
  const out = { name: '', description: null as string | null };
  if (!isObject(raw)) {
    problems.push({ path: 'metadata', message: 'is required and must be an object' });
    return out;
  }
  checkKeys(raw, ['name', 'description', 'labels'], 'metadata', problems);
  if (typeof raw.name !== 'string' || !WORKFLOW_NAME_PATTERN.test(raw.name)) {
    problems.push({ path: 'metadata.name', message: 'is required: lower-case letters, digits and "-", starting with a letter, at most 63' });
  } else out.name = raw.name;
  if (raw.description !== undefined) {
    if (typeof raw.description !== 'string') problems.push({ path: 'metadata.description', message: 'must be a string' });
    else out.description = raw.description;
  }
  if (raw.labels !== undefined && (!isObject(raw.labels) || !Object.values(raw.labels).every((v) => typeof v === 'string'))) {
    problems.push({ path: 'metadata.labels', message: 'must map strings to strings' });
  }
  return out;
}

/**
 * Validates a parsed definition and compiles its templates; every problem names its path
 * (`spec.steps[2].input.notes`). Checks: the document's shape, step ids (unique), exactly one of
 * agent + endpoint / approval / wait per step, needs that name steps, no cycle, durations, the
 * approval and wait specs, for_each and concurrency, expression syntax, and that each
 * expression reads only `input`, the steps among its step's direct and indirect needs (the
 * output: any step) and, in a for_each step's input, `item` and `index`.
 */
export function compileWorkflow(raw: unknown, ajv: Ajv2020 = createSchemaCompiler()): WorkflowResult {
  const problems: FieldProblem[] = [];
  if (!isObject(raw)) return { ok: false, problems: [{ path: '', message: 'a workflow definition must be an object' }] };
  checkKeys(raw, ['apiVersion', 'kind', 'metadata', 'spec'], '', problems);
  if (raw.apiVersion !== MANIFEST_API_VERSION) problems.push({ path: 'apiVersion', message: `must be "${MANIFEST_API_VERSION}"` });
  if (raw.kind !== WORKFLOW_KIND) problems.push({ path: 'kind', message: `must be "${WORKFLOW_KIND}"` });
  const { name, description } = metadataOf(raw.metadata, problems);
  const spec = raw.spec;
  if (!isObject(spec)) {
    problems.push({ path: 'spec', message: 'is required and must be an object' });
    return { ok: false, problems };
  }
  checkKeys(spec, ['input', 'output', 'steps'], 'spec', problems);
  const inputSchema = spec.input === undefined ? null : validateSchema(ajv, spec.input, 'spec.input', problems);
  const output = spec.output === undefined ? null : compileTemplate(spec.output, 'spec.output', problems);
  const steps: WorkflowStep[] = [];
  if (!Array.isArray(spec.steps) || spec.steps.length === 0 || spec.steps.length > MAX_WORKFLOW_STEPS) {
    problems.push({ path: 'spec.steps', message: `must be a list of 1 to ${MAX_WORKFLOW_STEPS} steps` });
  } else {
    spec.steps.forEach((s, i) => {
      const step = validateStep(s, i, problems);
      if (step) steps.push(step);
    });
  }
  const graph = checkGraph(steps, output, problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { name, description, document: raw as unknown as WorkflowDocument, inputSchema, output, steps, order: graph.order, leaves: graph.leaves } };
}

/** The agent calls a workflow makes, for the server's check that each agent and endpoint exists. */
export function agentSteps(workflow: CompiledWorkflow): AgentStep[] {
  return workflow.steps.filter((s): s is AgentStep => s.type === 'agent');
}
