import type { ApiKey, CreatedApiKey } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { KeyCreateParams, KeyListParams } from './resource-types.ts';

/** `/v1/keys` (admin only). */
export class KeysResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * The answer's `key` is shown this once; store it now. A worker key names its agents.
   * @example const { key } = await client.keys.create({ role: 'worker', name: 'refunds', agents: ['refund'] });
   */
  create(params: KeyCreateParams, options?: RequestOptions): Promise<CreatedApiKey> {
    const body = params.expires_at instanceof Date ? { ...params, expires_at: params.expires_at.toISOString() } : params;
    return this.#client.request<CreatedApiKey>({ method: 'POST', path: '/v1/keys', body }, options);
  }

  /** @example for await (const key of client.keys.list()) console.log(key.prefix, key.role); */
  list(params: KeyListParams = {}, options?: RequestOptions): PagePromise<ApiKey> {
    return this.#client.requestPage<ApiKey>('/v1/keys', { ...params }, options);
  }

  /** Effective at once. @example await client.keys.revoke('key_123'); */
  revoke(id: string, options?: RequestOptions): Promise<ApiKey> {
    return this.#client.request<ApiKey>({ method: 'DELETE', path: `/v1/keys/${encodeURIComponent(id)}` }, options);
  }
}
