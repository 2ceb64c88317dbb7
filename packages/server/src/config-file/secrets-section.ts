import { timingSafeEqual } from 'node:crypto';
import { SECRET_NAME_PATTERN } from '@agentd/protocol';
import { MAX_SECRET_VALUE_LENGTH } from '@agentd/protocol/schemas';
import { DomainError } from '../core/index.ts';
import type { DesiredResource, ResourceSection } from './config-section.ts';
import { digestOf, isObject, resolveReference } from './config-values.ts';

interface SecretSpec {
  /** The reference as written (`env:NAME`, `file:path`): what the digest holds. */
  ref: string;
  value: string;
  description: string | null;
}

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * `secrets:` — vault secrets by reference: `name: env:NAME` or `name: file:path`, or
 * `name: { value: env:NAME, description }`. Never inline. The value is read from the server's
 * environment or a file when the file is applied and sealed by the vault as `POST /v1/secrets`
 * does; a new value behind the same reference is a rotation (found by comparing with the vault's
 * current version: digests hold the reference only). A secret no longer in the file is deleted
 * (its grants revoked). This is how `models:` get their `api_key_secret` without an API call.
 */
export const secretsSection: ResourceSection<SecretSpec> = {
  kind: 'resources',
  name: 'secrets',
  parse(raw, ctx) {
    if (raw === null || raw === undefined) return [];
    if (!isObject(raw)) {
      ctx.problems.push({ path: 'secrets', message: 'must be a mapping of secret name to a reference (env:NAME or file:path)' });
      return [];
    }
    const out: DesiredResource<SecretSpec>[] = [];
    for (const [name, body] of Object.entries(raw)) {
      const path = `secrets.${name}`;
      if (!SECRET_NAME_PATTERN.test(name)) {
        ctx.problems.push({ path, message: 'is not a valid secret name (lower-case letters, digits and "_", starting with a letter, at most 63)' });
        continue;
      }
      let ref: unknown = body;
      let description: string | null = null;
      if (isObject(body)) {
        for (const k of Object.keys(body)) if (k !== 'value' && k !== 'description') ctx.problems.push({ path: `${path}.${k}`, message: 'is not a known field (value, description)' });
        if (body.description !== undefined && typeof body.description !== 'string') ctx.problems.push({ path: `${path}.description`, message: 'must be a string' });
        description = typeof body.description === 'string' ? body.description : null;
        ref = body.value;
      }
      const refPath = isObject(body) ? `${path}.value` : path;
      const value = resolveReference(ref, refPath, ctx);
      if (value === undefined) continue;
      if (value === '' || value.length > MAX_SECRET_VALUE_LENGTH) {
        ctx.problems.push({ path: refPath, message: value === '' ? 'refers to an empty value' : `refers to a value longer than ${MAX_SECRET_VALUE_LENGTH} characters` });
        continue;
      }
      out.push({ name, spec: { ref: ref as string, value, description }, digest: digestOf({ ref, description }) });
    }
    return out;
  },
  async current(item, resourceId, { engine, tenantId }) {
    const stored = await engine.secrets.readValue({ tenantId, name: resourceId }).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'SECRET_NOT_FOUND') return null;
      throw err;
    });
    return stored !== null && same(stored, item.spec.value);
  },
  async apply(item, _existing, { engine, tenantId }) {
    const { value, description } = item.spec;
    if (!(await engine.secrets.exists(tenantId, item.name))) await engine.secrets.create({ tenantId, name: item.name, value, description });
    else if (!same(await engine.secrets.readValue({ tenantId, name: item.name }), value) || (await engine.secrets.retrieve({ tenantId, name: item.name })).description !== description) {
      await engine.secrets.rotate({ tenantId, name: item.name, value, description });
    }
    return item.name;
  },
  async remove(_name, resourceId, { engine, tenantId }) {
    await engine.secrets.delete({ tenantId, name: resourceId }).catch((err: unknown) => {
      if (!(err instanceof DomainError && err.code === 'SECRET_NOT_FOUND')) throw err;
    });
  },
};
