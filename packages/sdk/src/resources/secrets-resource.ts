import type { Secret, SecretDeleted, SecretDetail, SecretRewrapResult } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { SecretCreateParams, SecretListParams, SecretRotateParams } from './secret-grant-types.ts';

const seg = encodeURIComponent;

/**
 * `/v1/secrets`: the tenant's vault (admin to write, admin or developer to read metadata).
 * Values are write-only: no method returns one; workers receive them in their leases.
 */
export class SecretsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Creates a secret at version 1; an existing name is a `ConflictError` (`SECRET_EXISTS`): rotate it instead.
   * @example await client.secrets.create({ name: 'openai_key', value: process.env.OPENAI_API_KEY! });
   */
  create(params: SecretCreateParams, options?: RequestOptions): Promise<Secret> {
    return this.#client.request<Secret>({ method: 'POST', path: '/v1/secrets', body: params }, options);
  }

  /** Names and metadata only. @example for await (const s of client.secrets.list()) console.log(s.name, s.version); */
  list(params: SecretListParams = {}, options?: RequestOptions): PagePromise<Secret> {
    return this.#client.requestPage<Secret>('/v1/secrets', { ...params }, options);
  }

  /** Metadata and every version's (never the value). @example const { versions } = await client.secrets.retrieve('openai_key'); */
  retrieve(name: string, options?: RequestOptions): Promise<SecretDetail> {
    return this.#client.request<SecretDetail>({ method: 'GET', path: `/v1/secrets/${seg(name)}` }, options);
  }

  /** Adds a version; leases from now on deliver it. @example await client.secrets.rotate('openai_key', { value: newKey }); */
  rotate(name: string, params: SecretRotateParams, options?: RequestOptions): Promise<Secret> {
    return this.#client.request<Secret>({ method: 'POST', path: `/v1/secrets/${seg(name)}/rotate`, body: params }, options);
  }

  /** Erases every version and revokes the secret's grants. @example await client.secrets.delete('openai_key'); */
  delete(name: string, options?: RequestOptions): Promise<SecretDeleted> {
    return this.#client.request<SecretDeleted>({ method: 'DELETE', path: `/v1/secrets/${seg(name)}` }, options);
  }

  /**
   * After a master-key rotation: re-wraps every data key of the tenant's secrets under the
   * current master key, so the previous key can be retired.
   * @example const { rewrapped, failed } = await client.secrets.rewrap();
   */
  rewrap(options?: RequestOptions): Promise<SecretRewrapResult> {
    return this.#client.request<SecretRewrapResult>({ method: 'POST', path: '/v1/secrets/rewrap', body: {} }, options);
  }
}
