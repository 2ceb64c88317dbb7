import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError } from '../core/index.ts';
import type { Keyring } from './master-key.ts';

/**
 * Envelope encryption of secret values, AES-256-GCM throughout (node:crypto):
 * - each version gets a random 256-bit data key (DEK) that encrypts the value;
 * - the DEK is wrapped (encrypted) by the master key (KEK), whose id is stored beside it;
 * - both encryptions authenticate an AAD naming the tenant, the secret, the version and the
 *   purpose, so a ciphertext copied to another secret, version or tenant fails to decrypt, and a
 *   wrapped key cannot be passed off as a value or the reverse.
 * Rotating the master key re-wraps DEKs only; values are never re-encrypted.
 * The same envelope, under another AAD label, seals the idempotency records of responses that
 * hold key material (see sealResponse), so the vault is the one place such material rests.
 */

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DEK_BYTES = 32;

/** Where a ciphertext belongs; bound into its AAD. */
export interface SecretAddress {
  tenantId: string;
  name: string;
  version: number;
}

/** The stored columns of one version (base64 text, so both dialects hold them the same way). */
export interface SealedSecret {
  ciphertext: string;
  iv: string;
  tag: string;
  wrapped_dek: string;
  dek_iv: string;
  dek_tag: string;
  kek_id: string;
}

/** JSON of an array: unambiguous whatever the names contain (no separator can be forged). */
function aad(purpose: 'value' | 'dek', a: SecretAddress): Buffer {
  return Buffer.from(JSON.stringify(['agentd.secret.v1', purpose, a.tenantId, a.name, a.version]), 'utf8');
}

/** Where a stored idempotent response belongs (see http/idempotency.ts); bound into its AAD. */
export interface ResponseAddress {
  tenantId: string;
  /** `METHOD /route/:pattern` */
  route: string;
  /** The Idempotency-Key. */
  key: string;
}

/** A different label from a secret's: a sealed response can never be passed off as a secret version, or the reverse. */
function responseAad(purpose: 'value' | 'dek', a: ResponseAddress): Buffer {
  return Buffer.from(JSON.stringify(['agentd.idempotency.v1', purpose, a.tenantId, a.route, a.key]), 'utf8');
}

/** Where a webhook subscription's signing secret belongs (webhooks/); bound into its AAD. */
export interface WebhookSecretAddress {
  tenantId: string;
  webhookId: string;
  version: number;
}

/** A label of its own: a webhook secret can never be passed off as a secret version or a sealed response. */
function webhookAad(purpose: 'value' | 'dek', a: WebhookSecretAddress): Buffer {
  return Buffer.from(JSON.stringify(['agentd.webhook-secret.v1', purpose, a.tenantId, a.webhookId, a.version]), 'utf8');
}

/** Where an inbound trigger's secret belongs (triggers/); bound into its AAD. */
export interface TriggerSecretAddress {
  tenantId: string;
  triggerId: string;
  version: number;
}

/** A label of its own: a trigger secret can never be passed off as a webhook secret, a secret version or a sealed response. */
function triggerAad(purpose: 'value' | 'dek', a: TriggerSecretAddress): Buffer {
  return Buffer.from(JSON.stringify(['agentd.trigger-secret.v1', purpose, a.tenantId, a.triggerId, a.version]), 'utf8');
}

/** The AAD of each of an envelope's two encryptions. */
type Binding = (purpose: 'value' | 'dek') => Buffer;

function seal(key: Buffer, plaintext: Buffer, additional: Buffer): { data: Buffer; iv: Buffer; tag: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additional);
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { data, iv, tag: cipher.getAuthTag() };
}

/** Throws on any mismatch (tag, AAD, key); the caller turns that into SECRET_UNREADABLE. */
function open(key: Buffer, data: Buffer, iv: Buffer, tag: Buffer, additional: Buffer): Buffer {
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('malformed iv or tag');
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(additional);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

const b64 = (b: Buffer): string => b.toString('base64');
/** Strict: Node's decoder skips junk, so a damaged column is caught by re-encoding. */
function unb64(text: string): Buffer {
  const b = Buffer.from(text, 'base64');
  if (b64(b) !== text) throw new Error('malformed base64');
  return b;
}

export function unreadable(a: SecretAddress, why: string, kekId?: string): DomainError {
  return new DomainError('SECRET_UNREADABLE', `version ${a.version} of secret ${JSON.stringify(a.name)} cannot be decrypted: ${why}`, {
    secret: a.name,
    version: a.version,
    ...(kekId ? { kek_id: kekId } : {}),
  });
}

/** Encrypts `plaintext` under a fresh data key wrapped by the current master key. */
function sealEnvelope(keyring: Keyring, bind: Binding, plaintext: string): SealedSecret {
  const dek = randomBytes(DEK_BYTES);
  try {
    const body = seal(dek, Buffer.from(plaintext, 'utf8'), bind('value'));
    const wrapped = seal(keyring.current.key, dek, bind('dek'));
    return {
      ciphertext: b64(body.data),
      iv: b64(body.iv),
      tag: b64(body.tag),
      wrapped_dek: b64(wrapped.data),
      dek_iv: b64(wrapped.iv),
      dek_tag: b64(wrapped.tag),
      kek_id: keyring.current.id,
    };
  } finally {
    dek.fill(0);
  }
}

/** Why an envelope did not open, for the caller to name what it was. */
type Failure = (why: string, kekId?: string) => DomainError;

function unwrapEnvelopeDek(keyring: Keyring, bind: Binding, s: SealedSecret, fail: Failure, what: string): Buffer {
  const kek = keyring.get(s.kek_id);
  if (!kek) throw fail(`its data key is wrapped by master key ${s.kek_id}, which this server was not given (AGENTD_MASTER_KEY_PREVIOUS)`, s.kek_id);
  try {
    const dek = open(kek, unb64(s.wrapped_dek), unb64(s.dek_iv), unb64(s.dek_tag), bind('dek'));
    if (dek.length !== DEK_BYTES) throw new Error('bad data key length');
    return dek;
  } catch {
    throw fail(`the wrapped data key failed authentication (tampered, or copied from another ${what})`, s.kek_id);
  }
}

function openEnvelope(keyring: Keyring, bind: Binding, s: SealedSecret, fail: Failure, what: string): string {
  const dek = unwrapEnvelopeDek(keyring, bind, s, fail, what);
  try {
    return open(dek, unb64(s.ciphertext), unb64(s.iv), unb64(s.tag), bind('value')).toString('utf8');
  } catch {
    throw fail(`the value failed authentication (tampered, or copied from another ${what})`, s.kek_id);
  } finally {
    dek.fill(0);
  }
}

const SECRET_WHAT = 'secret, version or tenant';

/** Encrypts a value for one address under a fresh data key wrapped by the current master key. */
export function sealSecret(keyring: Keyring, a: SecretAddress, value: string): SealedSecret {
  return sealEnvelope(keyring, (purpose) => aad(purpose, a), value);
}

/** The plaintext, or SECRET_UNREADABLE: a tampered or moved row never decrypts to anything. */
export function openSecret(keyring: Keyring, a: SecretAddress, s: SealedSecret): string {
  return openEnvelope(keyring, (purpose) => aad(purpose, a), s, (why, kek) => unreadable(a, why, kek), SECRET_WHAT);
}

/**
 * A response to keep for Idempotency-Key replays that holds key material (a created API key):
 * sealed like a secret version, under the vault's master key, bound to (tenant, route, key).
 */
export function sealResponse(keyring: Keyring, a: ResponseAddress, text: string): SealedSecret {
  return sealEnvelope(keyring, (purpose) => responseAad(purpose, a), text);
}

/** The response text, or SECRET_UNREADABLE (moved to another key, route or tenant, tampered, or its master key is gone). */
export function openResponse(keyring: Keyring, a: ResponseAddress, s: SealedSecret): string {
  const fail: Failure = (why, kekId) =>
    new DomainError('SECRET_UNREADABLE', `the stored response of this Idempotency-Key cannot be decrypted: ${why}`, { route: a.route, ...(kekId ? { kek_id: kekId } : {}) });
  return openEnvelope(keyring, (purpose) => responseAad(purpose, a), s, fail, 'Idempotency-Key, route or tenant');
}

/** A webhook subscription's signing secret, sealed like a secret version under the vault's master key. */
export function sealWebhookSecret(keyring: Keyring, a: WebhookSecretAddress, value: string): SealedSecret {
  return sealEnvelope(keyring, (purpose) => webhookAad(purpose, a), value);
}

/** The signing secret, or SECRET_UNREADABLE (moved to another subscription, version or tenant, tampered, or its master key is gone). */
export function openWebhookSecret(keyring: Keyring, a: WebhookSecretAddress, s: SealedSecret): string {
  const fail: Failure = (why, kekId) =>
    new DomainError('SECRET_UNREADABLE', `version ${a.version} of the signing secret of webhook ${a.webhookId} cannot be decrypted: ${why}`, { webhook: a.webhookId, version: a.version, ...(kekId ? { kek_id: kekId } : {}) });
  return openEnvelope(keyring, (purpose) => webhookAad(purpose, a), s, fail, 'webhook, version or tenant');
}

/**
 * The same envelope with its data key wrapped by the current master key; the value is untouched.
 * The value must still open: rewrapping a damaged row would only hide the damage.
 */
function rewrapEnvelope(keyring: Keyring, bind: Binding, s: SealedSecret, fail: Failure, what: string): Pick<SealedSecret, 'wrapped_dek' | 'dek_iv' | 'dek_tag' | 'kek_id'> {
  const dek = unwrapEnvelopeDek(keyring, bind, s, fail, what);
  try {
    open(dek, unb64(s.ciphertext), unb64(s.iv), unb64(s.tag), bind('value')).fill(0);
  } catch {
    dek.fill(0);
    throw fail(`the value failed authentication (tampered, or copied from another ${what})`, s.kek_id);
  }
  try {
    const wrapped = seal(keyring.current.key, dek, bind('dek'));
    return { wrapped_dek: b64(wrapped.data), dek_iv: b64(wrapped.iv), dek_tag: b64(wrapped.tag), kek_id: keyring.current.id };
  } finally {
    dek.fill(0);
  }
}

/** The same version with its data key wrapped by the current master key; the value is untouched. */
export function rewrapSecret(keyring: Keyring, a: SecretAddress, s: SealedSecret): Pick<SealedSecret, 'wrapped_dek' | 'dek_iv' | 'dek_tag' | 'kek_id'> {
  return rewrapEnvelope(keyring, (purpose) => aad(purpose, a), s, (why, kek) => unreadable(a, why, kek), SECRET_WHAT);
}

/** A webhook signing secret's data key wrapped by the current master key (after a master-key rotation). */
export function rewrapWebhookSecret(keyring: Keyring, a: WebhookSecretAddress, s: SealedSecret): Pick<SealedSecret, 'wrapped_dek' | 'dek_iv' | 'dek_tag' | 'kek_id'> {
  const fail: Failure = (why, kekId) =>
    new DomainError('SECRET_UNREADABLE', `version ${a.version} of the signing secret of webhook ${a.webhookId} cannot be decrypted: ${why}`, { webhook: a.webhookId, version: a.version, ...(kekId ? { kek_id: kekId } : {}) });
  return rewrapEnvelope(keyring, (purpose) => webhookAad(purpose, a), s, fail, 'webhook, version or tenant');
}

const triggerUnreadable = (a: TriggerSecretAddress): Failure => (why, kekId) =>
  new DomainError('SECRET_UNREADABLE', `version ${a.version} of the secret of trigger ${a.triggerId} cannot be decrypted: ${why}`, { trigger: a.triggerId, version: a.version, ...(kekId ? { kek_id: kekId } : {}) });

/** An inbound trigger's secret, sealed like a secret version under the vault's master key. */
export function sealTriggerSecret(keyring: Keyring, a: TriggerSecretAddress, value: string): SealedSecret {
  return sealEnvelope(keyring, (purpose) => triggerAad(purpose, a), value);
}

/** The trigger's secret, or SECRET_UNREADABLE (moved to another trigger, version or tenant, tampered, or its master key is gone). */
export function openTriggerSecret(keyring: Keyring, a: TriggerSecretAddress, s: SealedSecret): string {
  return openEnvelope(keyring, (purpose) => triggerAad(purpose, a), s, triggerUnreadable(a), 'trigger, version or tenant');
}

/** The trigger secret's data key re-wrapped by the current master key (see rewrapEnvelope). */
export function rewrapTriggerSecret(keyring: Keyring, a: TriggerSecretAddress, s: SealedSecret): Pick<SealedSecret, 'wrapped_dek' | 'dek_iv' | 'dek_tag' | 'kek_id'> {
  return rewrapEnvelope(keyring, (purpose) => triggerAad(purpose, a), s, triggerUnreadable(a), 'trigger, version or tenant');
}
