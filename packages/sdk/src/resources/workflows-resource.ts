import type { Run, Workflow, WorkflowDeleted, WorkflowVersion } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions, RequestSpec } from '../core/request-options.ts';
import type { WorkflowListParams, WorkflowStartParams, WorkflowVersionListParams } from './resource-types.ts';

const seg = encodeURIComponent;

/** `/v1/workflows`: deploy workflow definitions (`kind: Workflow`) and read their versions. */
export class WorkflowsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Deploys a definition; a changed one becomes a new immutable version, the same one answers
   * the version it already is. A string is sent as written: as JSON when it parses as JSON, else
   * as `application/yaml`, so the server reports YAML errors against the user's own text. A
   * refused definition throws an UnprocessableEntityError (`WORKFLOW_INVALID`) whose `details`
   * list `{path, message}`.
   *
   * @example
   * const workflow = await client.workflows.deploy(fs.readFileSync('workflow.yaml', 'utf8'));
   */
  deploy(definition: Record<string, unknown> | string, options?: RequestOptions): Promise<Workflow> {
    return this.#client.request<Workflow>({ method: 'POST', path: '/v1/workflows', ...definitionBody(definition) }, options);
  }

  /** Newest first. @example for await (const w of client.workflows.list()) console.log(w.name); */
  list(params: WorkflowListParams = {}, options?: RequestOptions): PagePromise<Workflow> {
    return this.#client.requestPage<Workflow>('/v1/workflows', { ...params }, options);
  }

  /** The workflow at its latest version. @example const w = await client.workflows.get('pipeline'); */
  get(name: string, options?: RequestOptions): Promise<Workflow> {
    return this.#client.request<Workflow>({ method: 'GET', path: `/v1/workflows/${seg(name)}` }, options);
  }

  /** The same as `get`, named like `client.agents.retrieve`. */
  retrieve(name: string, options?: RequestOptions): Promise<Workflow> {
    return this.get(name, options);
  }

  /** Newest first. @example for await (const v of client.workflows.versions('pipeline')) console.log(v.version); */
  versions(name: string, params: WorkflowVersionListParams = {}, options?: RequestOptions): PagePromise<WorkflowVersion> {
    return this.#client.requestPage<WorkflowVersion>(`/v1/workflows/${seg(name)}/versions`, { ...params }, options);
  }

  /** @example const v1 = await client.workflows.retrieveVersion('pipeline', 1); */
  retrieveVersion(name: string, version: number, options?: RequestOptions): Promise<WorkflowVersion> {
    return this.#client.request<WorkflowVersion>({ method: 'GET', path: `/v1/workflows/${seg(name)}/versions/${version}` }, options);
  }

  /**
   * Starts the workflow's latest version: answers its run (`kind: 'workflow'`), which the server
   * drives; follow it like any run (`client.runs.wait(run.id)`, `client.runs.children(run.id)`).
   * Input that does not match the workflow's `spec.input` throws an UnprocessableEntityError (`INPUT_INVALID`).
   *
   * @example const run = await client.workflows.start('pipeline', { input: { topic: 'tides' } });
   */
  start(name: string, params: WorkflowStartParams = {}, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'POST', path: `/v1/workflows/${seg(name)}/runs`, body: params }, options);
  }

  /** Its versions are kept. @example await client.workflows.delete('pipeline'); */
  delete(name: string, options?: RequestOptions): Promise<WorkflowDeleted> {
    return this.#client.request<WorkflowDeleted>({ method: 'DELETE', path: `/v1/workflows/${seg(name)}` }, options);
  }
}

function definitionBody(definition: Record<string, unknown> | string): Pick<RequestSpec, 'body' | 'rawBody'> {
  if (typeof definition !== 'string') return { body: definition };
  return { rawBody: { text: definition, contentType: isJson(definition) ? 'application/json' : 'application/yaml' } };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    // Not JSON, so YAML: the server parses (and reports errors in) it.
    return false;
  }
}
