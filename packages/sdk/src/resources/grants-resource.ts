import type { Grant } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { GrantCreateParams, GrantListParams } from './secret-grant-types.ts';

/** `/v1/grants`: which agent (or endpoint) receives which secret in its leases. */
export class GrantsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Grants a secret to an agent, or to one endpoint of it; an identical active grant is returned as is.
   * @example await client.grants.create({ secret: 'openai_key', agent: 'researcher' });
   */
  create(params: GrantCreateParams, options?: RequestOptions): Promise<Grant> {
    return this.#client.request<Grant>({ method: 'POST', path: '/v1/grants', body: params }, options);
  }

  /** Active grants unless `include_revoked`. @example for await (const g of client.grants.list({ agent: 'researcher' })) console.log(g.secret); */
  list(params: GrantListParams = {}, options?: RequestOptions): PagePromise<Grant> {
    return this.#client.requestPage<Grant>('/v1/grants', { ...params }, options);
  }

  /** Leases from now on no longer carry the secret. @example await client.grants.revoke('grt_123'); */
  revoke(id: string, options?: RequestOptions): Promise<Grant> {
    return this.#client.request<Grant>({ method: 'DELETE', path: `/v1/grants/${encodeURIComponent(id)}` }, options);
  }
}
