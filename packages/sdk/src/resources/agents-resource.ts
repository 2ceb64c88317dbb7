import type { Agent, AgentManifest, AgentVersion } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions, RequestSpec } from '../core/request-options.ts';
import type { AgentDeleteResponse, AgentListParams, AgentVersionListParams } from './resource-types.ts';

const seg = encodeURIComponent;

/** `/v1/agents`: deploy manifests, read versions, switch endpoints on and off. */
export class AgentsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Deploys a manifest as a new immutable version. A string is sent as written: as JSON when it
   * parses as JSON, else as `application/yaml`, so the server reports YAML errors with the
   * user's own line structure.
   *
   * @example
   * const agent = await client.agents.deploy(fs.readFileSync('agent.yaml', 'utf8'));
   */
  deploy(manifest: AgentManifest | Record<string, unknown> | string, options?: RequestOptions): Promise<Agent> {
    return this.#client.request<Agent>({ method: 'POST', path: '/v1/agents', ...manifestBody(manifest) }, options);
  }

  /** @example for await (const agent of client.agents.list()) console.log(agent.name); */
  list(params: AgentListParams = {}, options?: RequestOptions): PagePromise<Agent> {
    return this.#client.requestPage<Agent>('/v1/agents', { ...params }, options);
  }

  /** The agent at its latest version. @example const agent = await client.agents.retrieve('greeter'); */
  retrieve(name: string, options?: RequestOptions): Promise<Agent> {
    return this.#client.request<Agent>({ method: 'GET', path: `/v1/agents/${seg(name)}` }, options);
  }

  /** @example for await (const v of client.agents.versions('greeter')) console.log(v.version); */
  versions(name: string, params: AgentVersionListParams = {}, options?: RequestOptions): PagePromise<AgentVersion> {
    return this.#client.requestPage<AgentVersion>(`/v1/agents/${seg(name)}/versions`, { ...params }, options);
  }

  /** @example const v1 = await client.agents.retrieveVersion('greeter', 1); */
  retrieveVersion(name: string, version: number, options?: RequestOptions): Promise<AgentVersion> {
    return this.#client.request<AgentVersion>({ method: 'GET', path: `/v1/agents/${seg(name)}/versions/${version}` }, options);
  }

  /** Runs already made keep working. @example await client.agents.delete('greeter'); */
  delete(name: string, options?: RequestOptions): Promise<AgentDeleteResponse> {
    return this.#client.request<AgentDeleteResponse>({ method: 'DELETE', path: `/v1/agents/${seg(name)}` }, options);
  }

  /** New runs are refused with 409 ENDPOINT_DISABLED. @example await client.agents.disableEndpoint('greeter', 'greet'); */
  disableEndpoint(name: string, endpoint: string, options?: RequestOptions): Promise<Agent> {
    return this.#client.request<Agent>({ method: 'POST', path: `/v1/agents/${seg(name)}/endpoints/${seg(endpoint)}/disable`, body: {} }, options);
  }

  /** @example await client.agents.enableEndpoint('greeter', 'greet'); */
  enableEndpoint(name: string, endpoint: string, options?: RequestOptions): Promise<Agent> {
    return this.#client.request<Agent>({ method: 'POST', path: `/v1/agents/${seg(name)}/endpoints/${seg(endpoint)}/enable`, body: {} }, options);
  }
}

function manifestBody(manifest: AgentManifest | Record<string, unknown> | string): Pick<RequestSpec, 'body' | 'rawBody'> {
  if (typeof manifest !== 'string') return { body: manifest };
  return { rawBody: { text: manifest, contentType: isJson(manifest) ? 'application/json' : 'application/yaml' } };
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
