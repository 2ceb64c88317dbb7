import type { FieldProblem, WebhookCreateParams } from '@agentd/protocol';
import { WebhookCreate } from '@agentd/protocol/schemas';
import { DomainError } from '../core/index.ts';
import type { DesiredResource, ResourceSection } from './config-section.ts';
import { checkSchema, digestOf, isObject, resolveReference } from './config-values.ts';

type WebhookSpec = WebhookCreateParams & { secret: string };

/** A Standard Webhooks secret: `whsec_` and base64 of at least 24 bytes. */
const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/**
 * `webhooks:` — outbound event subscriptions by a name of the file's choosing: `url`, `events`,
 * `agents`, `description` as in `POST /v1/webhooks`, and `secret`, the signing secret by
 * reference (`env:NAME` or `file:path`, a `whsec_…` value), so the receiver can be given it
 * too. The digest holds the reference, never the secret; a new secret behind the same reference
 * is found by comparing with the vault's (`current`) and applied as a rotation (the old one keeps
 * signing for the default overlap).
 */
export const webhooksSection: ResourceSection<WebhookSpec> = {
  kind: 'resources',
  name: 'webhooks',
  parse(raw, ctx) {
    if (raw === null || raw === undefined) return [];
    if (!isObject(raw)) {
      ctx.problems.push({ path: 'webhooks', message: 'must be a mapping of subscription name to subscription' });
      return [];
    }
    const out: DesiredResource<WebhookSpec>[] = [];
    for (const [name, body] of Object.entries(raw)) {
      const path = `webhooks.${name}`;
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) ctx.problems.push({ path, message: 'is not a valid name (letters, digits, ".", "_", "-", starting with a letter or digit)' });
      if (!isObject(body)) {
        ctx.problems.push({ path, message: 'must be a subscription (url, events, secret…)' });
        continue;
      }
      const { secret: ref, ...rest } = body;
      const problems: FieldProblem[] = [];
      checkSchema(WebhookCreate, rest, path, problems);
      let secret: string | undefined;
      if (ref === undefined) problems.push({ path: `${path}.secret`, message: 'is required: the signing secret by reference (env:NAME or file:path), so the receiver can have it too' });
      else {
        secret = resolveReference(ref, `${path}.secret`, { ...ctx, problems });
        if (secret !== undefined && (!SECRET.test(secret) || Buffer.from(secret.slice(6), 'base64').length < 24)) {
          problems.push({ path: `${path}.secret`, message: 'must hold a Standard Webhooks secret: whsec_ and the base64 of at least 24 random bytes' });
        }
      }
      ctx.problems.push(...problems);
      if (problems.length > 0 || secret === undefined) continue;
      const spec = { ...(rest as WebhookCreateParams), secret };
      out.push({ name, spec, digest: digestOf({ ...rest, secret: ref }) });
    }
    return out;
  },
  /** The URL against the egress policy, as create and update check it, so a refused URL changes nothing. */
  async check(item, _existing, { engine }, problems) {
    await engine.webhooks.checkUrl(item.spec.url).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'EGRESS_REFUSED') return void problems.push({ path: `webhooks.${item.name}.url`, message: err.message });
      throw err;
    });
  },
  async current(item, resourceId, { engine, tenantId }) {
    return engine.webhooks.currentSecretIs({ tenantId, id: resourceId }, item.spec.secret).catch(() => false);
  },
  async apply(item, existing, { engine, tenantId }) {
    const { secret, ...def } = item.spec;
    const found = existing
      ? await engine.webhooks.retrieve({ tenantId, id: existing }).then(
          () => true,
          (err: unknown) => {
            if (err instanceof DomainError && err.code === 'WEBHOOK_NOT_FOUND') return false;
            throw err;
          },
        )
      : false;
    if (!existing || !found) return (await engine.webhooks.create({ tenantId, ...def, secret })).id;
    await engine.webhooks.update({ tenantId, id: existing, url: def.url, events: def.events, agents: def.agents ?? null, description: def.description ?? null });
    if (!(await engine.webhooks.currentSecretIs({ tenantId, id: existing }, secret))) await engine.webhooks.rotateSecret({ tenantId, id: existing, secret });
    return existing;
  },
  async remove(_name, resourceId, { engine, tenantId }) {
    await engine.webhooks.delete({ tenantId, id: resourceId }).catch((err: unknown) => {
      if (!(err instanceof DomainError && err.code === 'WEBHOOK_NOT_FOUND')) throw err;
    });
  },
};
