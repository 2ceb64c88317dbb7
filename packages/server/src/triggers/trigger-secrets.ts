import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FieldProblem, TriggerAuthMode } from '@agentd/protocol';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { SealedSecret } from '../secrets/index.ts';

/** Bytes of a secret agentd makes: 256 bits (Standard Webhooks allows 24–64). */
const SECRET_BYTES = 32;
const PRINTABLE = /^[\x21-\x7e]+$/;

/** A new secret: `whsec_` + base64 for signature mode (as Standard Webhooks writes one), `whtok_` + base64url for a bearer token. */
export function newTriggerSecret(auth: TriggerAuthMode): string {
  const bytes = randomBytes(SECRET_BYTES);
  return auth === 'signature' ? `whsec_${bytes.toString('base64')}` : `whtok_${bytes.toString('base64url')}`;
}

/** A secret the caller brings (the sender issued it): its problems at `path`, none when usable. */
export function secretProblems(auth: TriggerAuthMode, secret: string, path: string): FieldProblem[] {
  if (!PRINTABLE.test(secret)) return [{ path, message: 'must be printable ASCII without spaces' }];
  if (auth === 'bearer') return [];
  const raw = secret.startsWith('whsec_') ? secret.slice(6) : null;
  if (raw === null) return [{ path, message: 'a signature secret is whsec_ followed by base64 (as Standard Webhooks senders give it)' }];
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.toString('base64') !== raw) return [{ path, message: 'the part after whsec_ is not valid base64' }];
  if (bytes.length < 24 || bytes.length > 64) return [{ path, message: `decodes to ${bytes.length} bytes; Standard Webhooks secrets are 24 to 64 bytes` }];
  return [];
}

export interface SignedHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

/** The three Standard Webhooks headers, when each is there once; null otherwise. */
export function signedHeaders(h: Record<string, string | string[] | undefined>): SignedHeaders | null {
  const id = h['webhook-id'];
  const timestamp = h['webhook-timestamp'];
  const signature = h['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string' || !id || !timestamp || !signature) return null;
  return { id, timestamp, signature };
}

/** Standard Webhooks' tolerance: a timestamp up to 5 minutes old verifies. */
export const TIMESTAMP_TOLERANCE_S = 300;
/**
 * Ahead of the server's clock a timestamp may be at most this much. Less than the 5 minutes
 * behind, on purpose: timestamps are whole seconds, and a request may spend seconds between its
 * signing and its arrival on a loaded machine, so with 300 s a timestamp signed 301 s ahead could
 * arrive looking like 300 s ahead and pass. Only a clock running fast dates a delivery ahead.
 */
export const FUTURE_TOLERANCE_S = 295;

/**
 * Whether the `webhook-timestamp` (unix seconds) is within the window around `receivedAt` (ms):
 * at most TIMESTAMP_TOLERANCE_S old, at most FUTURE_TOLERANCE_S ahead. Checked from the request's
 * arrival, before the signature (the standardwebhooks package then checks it again, by its clock).
 */
export function timestampFits(timestamp: string, receivedAt: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const age = receivedAt / 1000 - Number(timestamp);
  return age <= TIMESTAMP_TOLERANCE_S && -age <= FUTURE_TOLERANCE_S;
}

/**
 * Whether any of `secrets` signed this delivery, as Standard Webhooks verifies it (the
 * `standardwebhooks` package: HMAC-SHA256 over `id.timestamp.body`, constant-time compare, the
 * timestamp within 5 minutes of now, any of the space-separated `v1,` signatures).
 */
export function verifySigned(secrets: readonly OpenedSecret[], headers: SignedHeaders, body: Buffer): boolean {
  const h = { 'webhook-id': headers.id, 'webhook-timestamp': headers.timestamp, 'webhook-signature': headers.signature };
  for (const s of secrets) {
    try {
      s.verifier().verify(body, h, { jsonParse: false });
      return true;
    } catch {
      // Not this secret (or a stale timestamp, which fails for every secret alike).
    }
  }
  return false;
}

/** A live secret of a trigger, opened; its Standard Webhooks verifier made once. */
export interface OpenedSecret {
  value: string;
  verifier(): StandardWebhook;
}

/** The sealed columns of a secret version, and where it belongs. */
interface SealedRow extends SealedSecret {
  version: number;
}

/** What opens a sealed version: the vault (SecretService.openTriggerSecret). */
interface Opener {
  openTriggerSecret(address: { tenantId: string; triggerId: string; version: number }, sealed: SealedSecret): string;
}

const OPENED_LIMIT = 1000;

/**
 * Decrypted trigger secrets by their sealed ciphertext, so a delivery costs no AES (the sealed
 * row is still read each time: a rotated-out or deleted version is never used from here). A
 * ciphertext is unique to its version (a fresh data key and IV each), so a key names one secret;
 * the address is part of it all the same. At most OPENED_LIMIT; held in this process only.
 */
export class OpenedSecrets {
  readonly #byKey = new Map<string, OpenedSecret>();

  open(trigger: { tenant_id: string; id: string }, row: SealedRow, opener: Opener): OpenedSecret {
    const key = `${trigger.tenant_id}\u0000${trigger.id}\u0000${row.version}\u0000${row.kek_id}\u0000${row.ciphertext}`;
    let s = this.#byKey.get(key);
    if (!s) {
      const value = opener.openTriggerSecret({ tenantId: trigger.tenant_id, triggerId: trigger.id, version: Number(row.version) }, row);
      let verifier: StandardWebhook | null = null;
      s = { value, verifier: () => (verifier ??= new StandardWebhook(value)) };
      if (this.#byKey.size >= OPENED_LIMIT) this.#byKey.clear();
      this.#byKey.set(key, s);
    }
    return s;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Whether the bearer token is one of `secrets`; compared as SHA-256 digests, in constant time, against each. */
export function verifyBearer(secrets: readonly string[], token: string): boolean {
  const got = digest(token);
  let ok = false;
  for (const s of secrets) if (timingSafeEqual(got, digest(s))) ok = true;
  return ok;
}

/** A signature for testing (`agentd triggers sign`, examples): the three headers for `body` signed by `secret` now. */
export function signDelivery(secret: string, body: string, opts: { id?: string; at?: Date } = {}): Record<string, string> {
  const id = opts.id ?? `msg_${randomBytes(12).toString('hex')}`;
  const at = opts.at ?? new Date();
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new StandardWebhook(secret).sign(id, at, body) };
}
