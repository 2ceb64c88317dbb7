import { randomBytes } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';

/** Bytes of a signing secret: 256 bits, within Standard Webhooks' 24–64. */
const SECRET_BYTES = 32;

/** A new signing secret as Standard Webhooks writes one: `whsec_` + base64 of random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/**
 * The three Standard Webhooks headers of one attempt: `webhook-id` (the delivery's id, the same on
 * every attempt), `webhook-timestamp` (this attempt's time, unix seconds: receivers refuse one
 * more than 5 minutes off) and `webhook-signature`: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`
 * for each secret that signs now (the current one and, during a rotation's overlap, the old one),
 * separated by spaces, so a receiver holding either secret verifies.
 */
export function signatureHeaders(input: { id: string; at: Date; body: string; secrets: readonly string[] }): Record<string, string> {
  if (input.secrets.length === 0) throw new Error('a delivery needs at least one signing secret');
  const signatures = input.secrets.map((s) => new StandardWebhook(s).sign(input.id, input.at, input.body));
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(Math.floor(input.at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
