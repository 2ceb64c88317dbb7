import type { FieldProblem } from '@agentd/protocol';
import { validateManifest } from '@agentd/protocol/manifest';
import { DomainError } from '../core/index.ts';
import type { DesiredResource, ResourceSection } from './config-section.ts';
import { digestOf, isObject } from './config-values.ts';

interface GrantSpec {
  secret: string;
  agent: string;
  endpoint: string | null;
}

/**
 * `grants:` — which agent (or endpoint) may read which secret: a list of
 * `{secret, agent, endpoint?}`, granted as `POST /v1/grants` grants. A grant is named
 * `secret→agent` (`secret→agent/endpoint`) in the diff; one no longer in the file is revoked.
 * Applied after `secrets:` and `agents:`, so it may name what the same file makes.
 */
export const grantsSection: ResourceSection<GrantSpec> = {
  kind: 'resources',
  name: 'grants',
  parse(raw, ctx) {
    if (raw === null || raw === undefined) return [];
    if (!Array.isArray(raw)) {
      ctx.problems.push({ path: 'grants', message: 'must be a list of {secret, agent, endpoint?}' });
      return [];
    }
    const out: DesiredResource<GrantSpec>[] = [];
    raw.forEach((g, i) => {
      const path = `grants.${i}`;
      if (!isObject(g)) return void ctx.problems.push({ path, message: 'must be {secret, agent, endpoint?}' });
      const before = ctx.problems.length;
      for (const k of Object.keys(g)) if (!['secret', 'agent', 'endpoint'].includes(k)) ctx.problems.push({ path: `${path}.${k}`, message: 'is not a known field (secret, agent, endpoint)' });
      for (const k of ['secret', 'agent'] as const) if (typeof g[k] !== 'string' || g[k] === '') ctx.problems.push({ path: `${path}.${k}`, message: 'is required: a name' });
      if (g.endpoint !== undefined && g.endpoint !== null && typeof g.endpoint !== 'string') ctx.problems.push({ path: `${path}.endpoint`, message: 'must be an endpoint name' });
      if (ctx.problems.length > before) return;
      const spec: GrantSpec = { secret: g.secret as string, agent: g.agent as string, endpoint: (g.endpoint as string | undefined) ?? null };
      const name = `${spec.secret}→${spec.agent}${spec.endpoint ? `/${spec.endpoint}` : ''}`;
      if (out.some((o) => o.name === name)) return void ctx.problems.push({ path, message: `grants ${name} twice` });
      out.push({ name, spec, digest: digestOf(spec) });
    });
    return out;
  },
  async check(item, _existing, ctx, problems: FieldProblem[]) {
    const { secret, agent, endpoint } = item.spec;
    const path = `grants.${(ctx.desired.get('grants') ?? []).indexOf(item)}`;
    const fileSecret = ctx.desired.get('secrets')?.some((s) => s.name === secret);
    if (!fileSecret && !(await ctx.engine.secrets.exists(ctx.tenantId, secret))) problems.push({ path: `${path}.secret`, message: `no secret named ${secret}, neither in this file nor in the vault` });
    const fileAgent = ctx.desired.get('agents')?.find((a) => a.name === agent);
    if (fileAgent) {
      const m = validateManifest(fileAgent.spec);
      if (m.ok && endpoint && !m.value.endpoints[endpoint]) problems.push({ path: `${path}.endpoint`, message: `agent ${agent} of this file has no endpoint ${endpoint}` });
      return;
    }
    try {
      if (endpoint) await ctx.engine.agents.resolveLatest(ctx.tenantId, agent, endpoint);
      else await ctx.engine.agents.get(ctx.tenantId, agent);
    } catch (err) {
      if (!(err instanceof DomainError && (err.code === 'AGENT_NOT_FOUND' || err.code === 'ENDPOINT_NOT_FOUND'))) throw err;
      problems.push({ path: `${path}.${err.code === 'AGENT_NOT_FOUND' ? 'agent' : 'endpoint'}`, message: `${err.message} (neither in this file nor on the server)` });
    }
  },
  /** Still granted: revoking the secret (deleting it) or the grant elsewhere makes it "changed", so a reload grants it again. */
  async current(item, resourceId, { engine, tenantId }) {
    const page = await engine.grants.list({ tenantId, agent: item.spec.agent, secret: item.spec.secret, limit: 100 });
    return page.data.some((g) => g.id === resourceId);
  },
  async apply(item, _existing, { engine, tenantId }) {
    return (await engine.grants.create({ tenantId, ...item.spec, createdBy: null })).id;
  },
  async remove(_name, resourceId, { engine, tenantId }) {
    await engine.grants.revoke({ tenantId, id: resourceId }).catch((err: unknown) => {
      if (!(err instanceof DomainError && err.code === 'GRANT_NOT_FOUND')) throw err;
    });
  },
};
