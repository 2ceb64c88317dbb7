/** The public face of webhooks/: other folders import from here only. */
export { DEFAULT_RETRY_SCHEDULE_MS, parseRetryAfter, parseRetrySchedule, RETRY_AFTER_MAX_MS } from './retry-schedule.ts';
export { DEFAULT_WEBHOOK_POLL_MS, DEFAULT_WEBHOOK_TIMEOUT_MS, WEBHOOK_LOOP, WebhookDeliveryLoop } from './webhook-delivery-loop.ts';
export type { WebhookDeliveryOptions } from './webhook-delivery-loop.ts';
export { WebhookEnqueuer } from './webhook-enqueue.ts';
export { webhookRoutes } from './webhook-routes.ts';
export { WebhookService } from './webhook-service.ts';
export { signatureHeaders } from './webhook-signing.ts';
