import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { HookAccepted, TriggerParams } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { ApiError, clientAddress, errors, jsonDepth, MAX_JSON_DEPTH, sendError, sendRateLimited } from '../http/index.ts';
import { HookUnverified } from './trigger-receiver.ts';

const HOOK_DOC =
  'No API key: the signature is the credential. Standard Webhooks headers (`webhook-id`, `webhook-timestamp` within 5 minutes of now, `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>` by the trigger\'s secret, or by its previous one during a rotation\'s overlap), or `Authorization: Bearer <secret>` for a bearer-mode trigger (optionally `webhook-id` or `Idempotency-Key` to deduplicate). Anything that does not verify, an unknown trigger included, is the same `401 HOOK_UNVERIFIED`. Verified: `202` with the run started; `200` with the original run for a message id seen before (nothing starts); `422 TRIGGER_PAYLOAD_INVALID` (not JSON, the mapping fails) or `422 INPUT_INVALID` (the target\'s input schema), recorded in the delivery log; `429` past the trigger\'s rate.';

/**
 * `POST /v1/hooks/{id}`: where senders deliver. Its own scope takes the body as raw bytes (the
 * signature covers them exactly), whatever the Content-Type; the JSON is parsed after verification.
 */
export function hookRoutes(app: RouteApp, { engine }: AppDeps): void {
  app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post(
      '/v1/hooks/:id',
      {
        config: { permission: 'public' },
        schema: {
          tags: ['triggers'],
          summary: 'Deliver to a trigger (signed as Standard Webhooks, or with its bearer token)',
          description: HOOK_DOC,
          security: [],
          params: TriggerParams,
          response: { 200: HookAccepted, 202: HookAccepted, ...errors(400, 401, 404, 409, 422, 429) },
        },
      },
      async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        if (jsonDepth(body.toString('utf8'), MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new ApiError('VALIDATION_ERROR', `JSON nested deeper than ${MAX_JSON_DEPTH} levels is refused`);
        const limits = request.server.rateLimits;
        try {
          const r = await engine.triggerReceiver.receive({ triggerId: request.params.id, headers: request.headers, body, receivedAt: Date.now() - reply.elapsedTime }, (t) => limits.hook(t.id, { count: t.count, periodMs: t.periodMs }));
          if (r.status === 429) return sendRateLimited(reply, request, 'trigger', r.retryAfterMs, 'this trigger is receiving more deliveries than its rate limit allows');
          return reply.code(r.status).send(r.body);
        } catch (err) {
          if (err instanceof HookUnverified) {
            // Failures count against the sender's address, like bad API keys: a flood gets 429s.
            const wait = limits.badKey(request);
            request.log.debug({ trigger: request.params.id, reason: err.reason, client: clientAddress(request) }, 'hook delivery not verified');
            if (wait > 0) return sendRateLimited(reply, request, 'auth_failures', wait, 'too many unverified deliveries from this address');
            return sendError(reply, request, 'HOOK_UNVERIFIED', err.message);
          }
          throw err;
        }
      },
    );
  });
}
