import type { Trigger, TriggerCreateParams, TriggerDeleted, TriggerDelivery, TriggerDeliveryListParams, TriggerRotateParams, TriggerUpdateParams, TriggerWithSecret } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { ListParams } from './resource-types.ts';

const seg = encodeURIComponent;

export type TriggerListParams = ListParams;
export type { TriggerCreateParams, TriggerDeliveryListParams, TriggerRotateParams, TriggerUpdateParams };

/**
 * `/v1/triggers`: inbound webhook triggers. Each has a public `url` (`/v1/hooks/{id}`) that other
 * systems POST to, signed as Standard Webhooks with the trigger's secret (or with it as a bearer
 * token); each verified delivery starts a run of the target, its body mapped to the input. The
 * secret is returned by `create` and `rotateSecret` only.
 */
export class TriggersResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Creates a trigger. A target that does not exist is a `NotFoundError`; a mapping that does not
   * compile or a secret that cannot be used an `UnprocessableEntityError` (`TRIGGER_INVALID`).
   * @example
   * const { id, url, secret } = await client.triggers.create({ target: { agent: 'orders', endpoint: 'ingest' }, mapping: { pointer: '/data' } });
   */
  create(params: TriggerCreateParams, options?: RequestOptions): Promise<TriggerWithSecret> {
    return this.#client.request<TriggerWithSecret>({ method: 'POST', path: '/v1/triggers', body: params }, options);
  }

  /** @example for await (const t of client.triggers.list()) console.log(t.id, t.url); */
  list(params: TriggerListParams = {}, options?: RequestOptions): PagePromise<Trigger> {
    return this.#client.requestPage<Trigger>('/v1/triggers', { ...params }, options);
  }

  /** @example const t = await client.triggers.retrieve('trg_…'); */
  retrieve(id: string, options?: RequestOptions): Promise<Trigger> {
    return this.#client.request<Trigger>({ method: 'GET', path: `/v1/triggers/${seg(id)}` }, options);
  }

  /** Fields given replace the old ones. @example await client.triggers.update('trg_…', { rate_limit: { count: 100, period_seconds: 1 } }); */
  update(id: string, params: TriggerUpdateParams, options?: RequestOptions): Promise<Trigger> {
    return this.#client.request<Trigger>({ method: 'PATCH', path: `/v1/triggers/${seg(id)}`, body: params }, options);
  }

  /** Deletes the trigger, its secrets, receipts and delivery log. @example await client.triggers.delete('trg_…'); */
  delete(id: string, options?: RequestOptions): Promise<TriggerDeleted> {
    return this.#client.request<TriggerDeleted>({ method: 'DELETE', path: `/v1/triggers/${seg(id)}` }, options);
  }

  /**
   * A new secret (or `secret`, the sender's own); the old one keeps verifying for `overlap_seconds` (default 24 h).
   * @example const { secret } = await client.triggers.rotateSecret('trg_…', { overlap_seconds: 3600 });
   */
  rotateSecret(id: string, params: TriggerRotateParams = {}, options?: RequestOptions): Promise<TriggerWithSecret> {
    return this.#client.request<TriggerWithSecret>({ method: 'POST', path: `/v1/triggers/${seg(id)}/rotate-secret`, body: params }, options);
  }

  /** Verified deliveries, newest first. @example for await (const d of client.triggers.deliveries('trg_…', { outcome: 'rejected' })) console.log(d.error); */
  deliveries(id: string, params: TriggerDeliveryListParams = {}, options?: RequestOptions): PagePromise<TriggerDelivery> {
    return this.#client.requestPage<TriggerDelivery>(`/v1/triggers/${seg(id)}/deliveries`, { ...params }, options);
  }
}
