/**
 * Agent manifests: parse (YAML or JSON), validate with field paths, normalise defaults.
 * Shared by the server (deploy) and the CLI (`agentd validate`, offline).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './duration.ts';
import type { FieldProblem } from './errors.ts';
import { APPROVAL_TIMEOUT_POLICIES, type AgentManifest, type ApprovalSpec, type EndpointSpec, type RetryPolicy } from './schemas/agents.ts';
import { DEFAULT_LLM_ENDPOINT, DEFAULT_LLM_INPUT_SCHEMA, validateLlmSpec, type LlmSpec } from './manifest-llm.ts';

export * from './manifest-llm.ts';

export const MANIFEST_API_VERSION = 'agentd.dev/v1';
export const AGENT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
export const ENDPOINT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

/** Defaults applied to an endpoint that does not say otherwise. */
export const DEFAULT_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_RETRY: RetryPolicy = {
  max_attempts: 3,
  initial_interval_ms: 1000,
  backoff_coefficient: 2,
  max_interval_ms: 60_000,
  jitter: 0.2,
  non_retryable_types: [],
};

export interface NormalizedManifest {
  manifest: AgentManifest;
  name: string;
  description: string | null;
  endpoints: Record<string, EndpointSpec>;
  runtime: 'worker' | 'llm';
  /** For `runtime: llm`: the model loop's settings. */
  llm: LlmSpec | null;
}

export type ManifestResult = { ok: true; value: NormalizedManifest } | { ok: false; problems: FieldProblem[] };

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * A JSON Schema compiler for user schemas (draft 2020-12, formats on, all errors). It registers
 * every `$id` it compiles, so it checks schemas against the meta-schema (`validateSchema`) and is
 * never used to compile two user schemas: see `compileUserSchema`.
 */
export function createSchemaCompiler(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  return ajv;
}

/**
 * Compiles one user schema in an Ajv instance of its own, so `$id`s of different schemas (two
 * agents, two versions, two tenants, input and output) never collide, and dropping the returned
 * function frees everything the compile made. The schema is not checked against the meta-schema
 * here (that costs ~10 ms a compiler): deploy does it, once, with `createSchemaCompiler`.
 * Throws when the schema cannot be compiled (a `$ref` to a schema it does not hold, say).
 */
export function compileUserSchema(schema: Record<string, unknown> | boolean): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true, validateSchema: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** Turns Ajv errors into field problems rooted at `root` (e.g. `input`). */
export function schemaProblems(root: string, errors: ErrorObject[] | null | undefined): FieldProblem[] {
  return (errors ?? []).map((e) => {
    const parts = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'required') parts.push(String((e.params as { missingProperty: string }).missingProperty));
    if (e.keyword === 'additionalProperties') parts.push(String((e.params as { additionalProperty: string }).additionalProperty));
    return { path: [root, ...parts].join('.'), message: e.message ?? 'is invalid' };
  });
}

/** Parses manifest text: JSON when it looks like JSON, YAML otherwise. */
export function parseManifestText(text: string): { ok: true; value: unknown } | { ok: false; problems: FieldProblem[] } {
  try {
    const trimmed = text.trimStart();
    return { ok: true, value: trimmed.startsWith('{') ? JSON.parse(text) : parseYaml(text) };
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: `cannot parse: ${(err as Error).message}` }] };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Each key of `obj` not in `allowed` is an "unknown field" problem (shared by workflow definitions). */
export function checkKeys(obj: Record<string, unknown>, allowed: string[], path: string, problems: FieldProblem[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) problems.push({ path: path ? `${path}.${k}` : k, message: 'unknown field' });
  }
}

function durationField(obj: Record<string, unknown>, key: string, path: string, fallback: number, problems: FieldProblem[]): number {
  if (obj[key] === undefined) return fallback;
  const ms = parseDuration(obj[key]);
  if (ms === undefined) problems.push({ path: `${path}.${key}`, message: 'must be a duration such as "30s", "5m", "250ms" or milliseconds' });
  return ms ?? fallback;
}

/** A retry policy as endpoints (and workflow steps) write it; defaults fill what it leaves out. */
export function validateRetry(raw: unknown, path: string, problems: FieldProblem[]): RetryPolicy {
  if (raw === undefined) return { ...DEFAULT_RETRY };
  if (!isObject(raw)) {
    problems.push({ path, message: 'must be an object' });
    return { ...DEFAULT_RETRY };
  }
  checkKeys(raw, ['max_attempts', 'initial_interval', 'backoff_coefficient', 'max_interval', 'jitter', 'non_retryable_types'], path, problems);
  const policy: RetryPolicy = { ...DEFAULT_RETRY };
  if (raw.max_attempts !== undefined) {
    if (!Number.isInteger(raw.max_attempts) || (raw.max_attempts as number) < 1 || (raw.max_attempts as number) > 100) {
      problems.push({ path: `${path}.max_attempts`, message: 'must be an integer from 1 to 100' });
    } else policy.max_attempts = raw.max_attempts as number;
  }
  policy.initial_interval_ms = durationField(raw, 'initial_interval', path, policy.initial_interval_ms, problems);
  policy.max_interval_ms = durationField(raw, 'max_interval', path, policy.max_interval_ms, problems);
  if (raw.backoff_coefficient !== undefined) {
    const c = raw.backoff_coefficient;
    if (typeof c !== 'number' || c < 1 || c > 10) problems.push({ path: `${path}.backoff_coefficient`, message: 'must be a number from 1 to 10' });
    else policy.backoff_coefficient = c;
  }
  if (raw.jitter !== undefined) {
    const j = raw.jitter;
    if (typeof j !== 'number' || j < 0 || j > 1) problems.push({ path: `${path}.jitter`, message: 'must be a number from 0 to 1' });
    else policy.jitter = j;
  }
  if (raw.non_retryable_types !== undefined) {
    const t = raw.non_retryable_types;
    if (!Array.isArray(t) || !t.every((x) => typeof x === 'string')) problems.push({ path: `${path}.non_retryable_types`, message: 'must be a list of strings' });
    else policy.non_retryable_types = t as string[];
  }
  if (policy.max_interval_ms < policy.initial_interval_ms) problems.push({ path: `${path}.max_interval`, message: 'must not be less than initial_interval' });
  return policy;
}

export { APPROVAL_TIMEOUT_POLICIES };

/** Shared by manifests (`approval:` on an endpoint) and worker requests (`ctx.approval`). */
export function validateApprovalSpec(raw: unknown, path: string, problems: FieldProblem[]): ApprovalSpec | undefined {
  if (!isObject(raw)) {
    problems.push({ path, message: 'must be an object' });
    return undefined;
  }
  checkKeys(raw, ['prompt', 'timeout', 'on_timeout', 'assignees', 'required_approvals'], path, problems);
  const spec: ApprovalSpec = { prompt: '', timeout_ms: null, on_timeout: 'reject', assignees: [], required_approvals: 1 };
  if (typeof raw.prompt !== 'string' || raw.prompt.length === 0 || raw.prompt.length > 10_000) problems.push({ path: `${path}.prompt`, message: 'is required: a string of 1 to 10000 characters' });
  else spec.prompt = raw.prompt;
  if (raw.timeout !== undefined && raw.timeout !== null) {
    const ms = parseDuration(raw.timeout);
    if (ms === undefined || ms < 1000) problems.push({ path: `${path}.timeout`, message: 'must be a duration of at least 1s' });
    else spec.timeout_ms = ms;
  }
  if (raw.on_timeout !== undefined) {
    if (!APPROVAL_TIMEOUT_POLICIES.includes(raw.on_timeout as never)) problems.push({ path: `${path}.on_timeout`, message: `must be one of ${APPROVAL_TIMEOUT_POLICIES.join(', ')}` });
    else spec.on_timeout = raw.on_timeout as ApprovalSpec['on_timeout'];
  }
  if (raw.assignees !== undefined) {
    const a = raw.assignees;
    if (!Array.isArray(a) || a.length > 100 || !a.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 200)) problems.push({ path: `${path}.assignees`, message: 'must be a list of up to 100 key names or ids' });
    else spec.assignees = a as string[];
  }
  if (raw.required_approvals !== undefined) {
    const n = raw.required_approvals;
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 20) problems.push({ path: `${path}.required_approvals`, message: 'must be an integer from 1 to 20' });
    else spec.required_approvals = n as number;
  }
  if (spec.assignees.length > 0 && spec.required_approvals > spec.assignees.length) problems.push({ path: `${path}.required_approvals`, message: 'cannot exceed the number of assignees' });
  return spec;
}

/** A JSON Schema field (an endpoint's input, a workflow's input): checked against the meta-schema and compiled once. */
export function validateSchema(ajv: Ajv2020, raw: unknown, path: string, problems: FieldProblem[]): Record<string, unknown> {
  if (raw === undefined) return {};
  if (!isObject(raw)) {
    problems.push({ path, message: 'must be a JSON Schema object' });
    return {};
  }
  if (!ajv.validateSchema(raw)) {
    problems.push({ path, message: `is not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}` });
    return raw;
  }
  try {
    compileUserSchema(raw);
  } catch (err) {
    problems.push({ path, message: `is not a valid JSON Schema: ${(err as Error).message}` });
  }
  return raw;
}

function validateEndpoint(ajv: Ajv2020, raw: unknown, path: string, problems: FieldProblem[]): EndpointSpec {
  const spec: EndpointSpec = { input: {}, output: {}, timeout_ms: DEFAULT_TIMEOUT_MS, retry: { ...DEFAULT_RETRY } };
  if (raw === null || raw === undefined) return spec;
  if (!isObject(raw)) {
    problems.push({ path, message: 'must be an object' });
    return spec;
  }
  checkKeys(raw, ['description', 'input', 'output', 'timeout', 'retry', 'approval'], path, problems);
  if (raw.approval !== undefined) {
    const approval = validateApprovalSpec(raw.approval, `${path}.approval`, problems);
    if (approval) spec.approval = approval;
  }
  if (raw.description !== undefined) {
    if (typeof raw.description !== 'string') problems.push({ path: `${path}.description`, message: 'must be a string' });
    else spec.description = raw.description;
  }
  spec.input = validateSchema(ajv, raw.input, `${path}.input`, problems);
  spec.output = validateSchema(ajv, raw.output, `${path}.output`, problems);
  spec.timeout_ms = durationField(raw, 'timeout', path, DEFAULT_TIMEOUT_MS, problems);
  if (raw.timeout !== undefined && spec.timeout_ms < 1) problems.push({ path: `${path}.timeout`, message: 'must be positive' });
  spec.retry = validateRetry(raw.retry, `${path}.retry`, problems);
  return spec;
}

/** Validates a parsed manifest; every problem names its field path. */
export function validateManifest(raw: unknown, ajv: Ajv2020 = createSchemaCompiler()): ManifestResult {
  const problems: FieldProblem[] = [];
  if (!isObject(raw)) return { ok: false, problems: [{ path: '', message: 'manifest must be an object' }] };
  checkKeys(raw, ['apiVersion', 'kind', 'metadata', 'spec'], '', problems);
  if (raw.apiVersion !== MANIFEST_API_VERSION) problems.push({ path: 'apiVersion', message: `must be "${MANIFEST_API_VERSION}"` });
  if (raw.kind !== 'Agent') problems.push({ path: 'kind', message: 'must be "Agent"' });
  let name = '';
  let description: string | null = null;
  if (!isObject(raw.metadata)) problems.push({ path: 'metadata', message: 'is required and must be an object' });
  else {
    checkKeys(raw.metadata, ['name', 'description', 'labels'], 'metadata', problems);
    if (typeof raw.metadata.name !== 'string' || !AGENT_NAME_PATTERN.test(raw.metadata.name)) {
      problems.push({ path: 'metadata.name', message: 'is required: lower-case letters, digits and "-", starting with a letter, at most 63' });
    } else name = raw.metadata.name;
    if (raw.metadata.description !== undefined) {
      if (typeof raw.metadata.description !== 'string') problems.push({ path: 'metadata.description', message: 'must be a string' });
      else description = raw.metadata.description;
    }
    const labels = raw.metadata.labels;
    if (labels !== undefined && (!isObject(labels) || !Object.values(labels).every((v) => typeof v === 'string'))) {
      problems.push({ path: 'metadata.labels', message: 'must map strings to strings' });
    }
  }
  const endpoints: Record<string, EndpointSpec> = {};
  let runtime: 'worker' | 'llm' = 'worker';
  let llm: LlmSpec | null = null;
  if (!isObject(raw.spec)) problems.push({ path: 'spec', message: 'is required and must be an object' });
  else {
    const isLlm = raw.spec.runtime === 'llm';
    checkKeys(raw.spec, isLlm ? ['runtime', 'endpoints', 'model', 'instructions', 'tools', 'limits', 'output', 'context'] : ['runtime', 'endpoints'], 'spec', problems);
    if (raw.spec.runtime !== 'worker' && !isLlm) problems.push({ path: 'spec.runtime', message: 'must be "worker" or "llm"' });
    if (isLlm) {
      runtime = 'llm';
      llm = validateLlmSpec(ajv, raw.spec, problems);
    }
    // An LLM agent without endpoints takes one: `chat`, its input {"message": "..."}.
    const declared = isLlm && raw.spec.endpoints === undefined ? { [DEFAULT_LLM_ENDPOINT]: { input: DEFAULT_LLM_INPUT_SCHEMA } } : raw.spec.endpoints;
    if (!isObject(declared) || Object.keys(declared).length === 0) {
      problems.push({ path: 'spec.endpoints', message: 'must declare at least one endpoint' });
    } else {
      for (const [ep, body] of Object.entries(declared)) {
        const path = `spec.endpoints.${ep}`;
        if (!ENDPOINT_NAME_PATTERN.test(ep)) problems.push({ path, message: 'endpoint names are letters, digits, "_" and "-", starting with a letter' });
        endpoints[ep] = validateEndpoint(ajv, body, path, problems);
        // limits.timeout is the attempt timeout of each endpoint that sets none of its own.
        if (llm?.timeout_ms && !(isObject(body) && body.timeout !== undefined)) endpoints[ep].timeout_ms = llm.timeout_ms;
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { manifest: raw as unknown as AgentManifest, name, description, endpoints, runtime, llm } };
}

export type { ValidateFunction };
