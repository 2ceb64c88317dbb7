import { AGENT_NAME_PATTERN } from '@agentd/protocol/manifest';
import { ROLES, type Role } from '@agentd/protocol';
import { DomainError } from '../core/index.ts';
import type { DesiredResource, ResourceSection } from './config-section.ts';
import { digestOf, isObject, resolveReference } from './config-values.ts';

interface KeySpec {
  role: Role;
  agents: string[] | null;
  /** The reference as written: what the digest holds. */
  ref: string;
  key: string;
}

/**
 * `keys:` — API keys by name and role, their values never in the file: `name: {role, agents?,
 * key: env:NAME | file:path}` (a worker key names its agents, or `["*"]`). The key is stored as
 * `POST /v1/keys` stores one (its hash), named after the entry. A key's value is its identity: a
 * new value behind the reference revokes the old key and makes the new one; a new role or agent
 * list needs a new value too (the check says so, before anything is written), and a value that
 * another key has or had (revoked keys never come back) is refused. A key no longer in the file
 * is revoked.
 */
export const keysSection: ResourceSection<KeySpec> = {
  kind: 'resources',
  name: 'keys',
  parse(raw, ctx) {
    if (raw === null || raw === undefined) return [];
    if (!isObject(raw)) {
      ctx.problems.push({ path: 'keys', message: 'must be a mapping of key name to {role, agents?, key}' });
      return [];
    }
    const out: DesiredResource<KeySpec>[] = [];
    for (const [name, body] of Object.entries(raw)) {
      const path = `keys.${name}`;
      const before = ctx.problems.length;
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) ctx.problems.push({ path, message: 'is not a valid name (letters, digits, ".", "_", "-", starting with a letter or digit)' });
      if (!isObject(body)) {
        ctx.problems.push({ path, message: 'must be {role, agents?, key}' });
        continue;
      }
      for (const k of Object.keys(body)) if (!['role', 'agents', 'key'].includes(k)) ctx.problems.push({ path: `${path}.${k}`, message: 'is not a known field (role, agents, key)' });
      const role = body.role as Role;
      if (!ROLES.includes(role)) ctx.problems.push({ path: `${path}.role`, message: `must be one of ${ROLES.join(', ')}` });
      let agents: string[] | null = null;
      if (role === 'worker') {
        if (!Array.isArray(body.agents) || body.agents.length === 0 || !body.agents.every((a) => typeof a === 'string' && (a === '*' || AGENT_NAME_PATTERN.test(a)))) {
          ctx.problems.push({ path: `${path}.agents`, message: 'is required for a worker key: the agent names it may serve, or ["*"]' });
        } else agents = body.agents as string[];
      } else if (body.agents !== undefined) ctx.problems.push({ path: `${path}.agents`, message: `only worker keys name agents; a ${String(role)} key has none` });
      const key = body.key === undefined ? (ctx.problems.push({ path: `${path}.key`, message: 'is required: the key by reference (env:NAME or file:path), never its value' }), undefined) : resolveReference(body.key, `${path}.key`, ctx);
      if (key !== undefined && (key.length < 16 || key.length > 256)) ctx.problems.push({ path: `${path}.key`, message: 'must refer to a key of 16 to 256 characters' });
      if (ctx.problems.length > before || key === undefined) continue;
      const spec: KeySpec = { role, agents, ref: body.key as string, key };
      out.push({ name, spec, digest: digestOf({ role, agents, ref: spec.ref }) });
    }
    return out;
  },
  async current(item, resourceId, { engine }) {
    const found = await engine.keys.findByPlaintext(item.spec.key);
    return found !== null && found.id === resourceId && found.revoked_at === null;
  },
  async check(item, existing, { engine }, problems) {
    const found = await engine.keys.findByPlaintext(item.spec.key);
    if (found === null) return;
    if (found.id !== existing) problems.push({ path: `keys.${item.name}.key`, message: `refers to a key value another API key has or had (${found.id}); a revoked key never comes back: use a new value` });
    else problems.push({ path: `keys.${item.name}`, message: 'changes the role or agents of a key whose value stays the same: give it a new value (the old key is then revoked)' });
  },
  async apply(item, existing, { engine, tenantId }) {
    const created = await engine.keys.create({ tenantId, role: item.spec.role, name: item.name, agents: item.spec.agents, key: item.spec.key });
    if (existing) await keysSection.remove(item.name, existing, { engine, tenantId, desired: new Map() });
    return created.id;
  },
  async remove(_name, resourceId, { engine, tenantId }) {
    await engine.keys.revoke({ tenantId, id: resourceId }).catch((err: unknown) => {
      if (!(err instanceof DomainError && err.code === 'KEY_NOT_FOUND')) throw err;
    });
  },
};
