import type { Webhook, WebhookCreateParams, WebhookDeleted, WebhookDelivery, WebhookDeliveryListParams, WebhookRotateParams, WebhookUpdateParams, WebhookWithSecret } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { ListParams } from './resource-types.ts';

const seg = encodeURIComponent;

export type WebhookListParams = ListParams;
export type { WebhookCreateParams, WebhookDeliveryListParams, WebhookRotateParams, WebhookUpdateParams };

/**
 * `/v1/webhooks`: subscribe URLs to the tenant's events. agentd POSTs each matching event,
 * signed as Standard Webhooks with the subscription's secret, at least once and in `seq` order
 * per run, retrying for about a day. The secret is returned by `create` and `rotateSecret` only.
 */
export class WebhooksResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Subscribes a URL. A URL the server's egress policy refuses (loopback, private, metadata…) is
   * an `UnprocessableEntityError` with code `EGRESS_REFUSED`.
   * @example
   * const { id, secret } = await client.webhooks.create({ url: 'https://example.com/agentd', events: ['run.succeeded', 'run.failed'] });
   */
  create(params: WebhookCreateParams, options?: RequestOptions): Promise<WebhookWithSecret> {
    return this.#client.request<WebhookWithSecret>({ method: 'POST', path: '/v1/webhooks', body: params }, options);
  }

  /** @example for await (const w of client.webhooks.list()) console.log(w.id, w.url, w.status); */
  list(params: WebhookListParams = {}, options?: RequestOptions): PagePromise<Webhook> {
    return this.#client.requestPage<Webhook>('/v1/webhooks', { ...params }, options);
  }

  /** @example const w = await client.webhooks.retrieve('whk_…'); */
  retrieve(id: string, options?: RequestOptions): Promise<Webhook> {
    return this.#client.request<Webhook>({ method: 'GET', path: `/v1/webhooks/${seg(id)}` }, options);
  }

  /** Fields given replace the old ones. @example await client.webhooks.update('whk_…', { events: ['run.*'] }); */
  update(id: string, params: WebhookUpdateParams, options?: RequestOptions): Promise<Webhook> {
    return this.#client.request<Webhook>({ method: 'PATCH', path: `/v1/webhooks/${seg(id)}`, body: params }, options);
  }

  /** Deletes the subscription, its secrets and its delivery log. @example await client.webhooks.delete('whk_…'); */
  delete(id: string, options?: RequestOptions): Promise<WebhookDeleted> {
    return this.#client.request<WebhookDeleted>({ method: 'DELETE', path: `/v1/webhooks/${seg(id)}` }, options);
  }

  /**
   * A new signing secret; the old one keeps signing beside it for `overlap_seconds` (default 24 h).
   * @example const { secret } = await client.webhooks.rotateSecret('whk_…', { overlap_seconds: 3600 });
   */
  rotateSecret(id: string, params: WebhookRotateParams = {}, options?: RequestOptions): Promise<WebhookWithSecret> {
    return this.#client.request<WebhookWithSecret>({ method: 'POST', path: `/v1/webhooks/${seg(id)}/rotate-secret`, body: params }, options);
  }

  /** The delivery log, newest first. @example for await (const d of client.webhooks.deliveries('whk_…', { status: 'failed' })) console.log(d.last_error); */
  deliveries(id: string, params: WebhookDeliveryListParams = {}, options?: RequestOptions): PagePromise<WebhookDelivery> {
    return this.#client.requestPage<WebhookDelivery>(`/v1/webhooks/${seg(id)}/deliveries`, { ...params }, options);
  }

  /** @example const d = await client.webhooks.retrieveDelivery('whk_…', 'msg_…'); */
  retrieveDelivery(id: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.#client.request<WebhookDelivery>({ method: 'GET', path: `/v1/webhooks/${seg(id)}/deliveries/${seg(deliveryId)}` }, options);
  }

  /**
   * Sends a finished delivery once more, now, with the same `webhook-id`. A pending one is a
   * `ConflictError` (`WEBHOOK_DELIVERY_PENDING`).
   * @example await client.webhooks.redeliver('whk_…', 'msg_…');
   */
  redeliver(id: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.#client.request<WebhookDelivery>({ method: 'POST', path: `/v1/webhooks/${seg(id)}/deliveries/${seg(deliveryId)}/redeliver`, body: {} }, options);
  }
}

