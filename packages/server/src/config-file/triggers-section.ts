import type { FieldProblem, TriggerAuthMode, TriggerCreateParams } from '@agentd/protocol';
import { SECRET_NAME_PATTERN } from '@agentd/protocol';
import { validateManifest } from '@agentd/protocol/manifest';
import { TriggerCreate, TriggerMapping } from '@agentd/protocol/schemas';
import Type from 'typebox';
import { DomainError } from '../core/index.ts';
import { compileMapping, secretProblems, type TriggerSpec } from '../triggers/index.ts';
import type { ApplyContext, DesiredResource, ResourceSection } from './config-section.ts';
import { checkSchema, digestOf, isObject, resolveReference } from './config-values.ts';

/** A trigger of the file: the service's spec, its secret either resolved (env:, file:) or a vault secret's name, read when applied. */
interface FileTrigger {
  spec: Omit<TriggerSpec, 'secret'>;
  secret: { value: string } | { vault: string };
}

const [AGENT_TARGET, WORKFLOW_TARGET] = TriggerCreate.properties.target.anyOf;
/** An entry's fields: the body of `POST /v1/triggers` without `name` (the key), and `secret` (by reference) and `mapping` checked apart. */
const { name: _name, secret: _secret, mapping: _mapping, ...FIELDS } = TriggerCreate.properties;
const [POINTER, TEMPLATE] = TriggerMapping.anyOf;
/** A mapping is checked as the one branch it means (`template` named: that one), so its problems name that branch's fields only. */
const mappingSchemaFor = (m: Record<string, unknown>) => ('template' in m ? TEMPLATE : POINTER);
const BY_TARGET = {
  agent: Type.Object({ ...FIELDS, target: AGENT_TARGET }, { additionalProperties: false }),
  workflow: Type.Object({ ...FIELDS, target: WORKFLOW_TARGET }, { additionalProperties: false }),
};
const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const VAULT = 'vault:';

/** The secret's value at apply time: resolved already, or read from the vault (the secrets: section is applied first). */
async function secretOf(item: FileTrigger, ctx: ApplyContext): Promise<string> {
  if ('value' in item.secret) return item.secret.value;
  const name = item.secret.vault;
  const inFile = ctx.desired.get('secrets')?.find((s) => s.name === name);
  if (inFile) return (inFile.spec as { value: string }).value;
  return ctx.engine.secrets.readValue({ tenantId: ctx.tenantId, name });
}

/**
 * `triggers:` — inbound webhook triggers by name (the trigger's `name`, unique in the tenant):
 * `target` (`{agent, endpoint}` or `{workflow}`), `auth` (`signature`, Standard Webhooks, the
 * default; or `bearer`), `mapping`, `rate_limit`, `description` as in `POST /v1/triggers`, and
 * `secret` by reference only: `env:NAME`, `file:path` or `vault:NAME` (a vault secret, e.g. one
 * of this file's `secrets:`), so the sender can be given it too. Applied through
 * `TriggerService.putByName`; a new secret behind the reference is rotated in, the old one still
 * verifying for the default overlap (24 h). The digest holds the reference, never the secret.
 * Applied after `workflows:`, so a trigger may target an agent or workflow of the same file.
 */
export const triggersSection: ResourceSection<FileTrigger> = {
  kind: 'resources',
  name: 'triggers',
  parse(raw, ctx) {
    if (raw === null || raw === undefined) return [];
    if (!isObject(raw)) {
      ctx.problems.push({ path: 'triggers', message: 'must be a mapping of trigger name to trigger' });
      return [];
    }
    const out: DesiredResource<FileTrigger>[] = [];
    for (const [name, body] of Object.entries(raw)) {
      const path = `triggers.${name}`;
      if (!NAME.test(name)) {
        ctx.problems.push({ path, message: 'is not a valid trigger name (lower-case letters, digits, ".", "_", "-", starting with a letter or digit, at most 100)' });
        continue;
      }
      if (!isObject(body)) {
        ctx.problems.push({ path, message: 'must be a trigger (target, secret, auth, mapping…)' });
        continue;
      }
      const problems: FieldProblem[] = [];
      if ('name' in body) problems.push({ path: `${path}.name`, message: 'is the key of the entry: leave it out' });
      const { secret: ref, name: _n, mapping, ...rest } = body;
      const schema = isObject(rest.target) && 'workflow' in rest.target ? BY_TARGET.workflow : BY_TARGET.agent;
      checkSchema(schema, rest, path, problems);
      if (mapping !== undefined && mapping !== null) {
        if (!isObject(mapping)) problems.push({ path: `${path}.mapping`, message: 'must be { pointer } or { template }' });
        else if (checkSchema(mappingSchemaFor(mapping), mapping, `${path}.mapping`, problems)) compileMapping(mapping as TriggerCreateParams['mapping'], `${path}.mapping`, problems);
      }
      const auth: TriggerAuthMode = rest.auth === 'bearer' ? 'bearer' : 'signature';
      let secret: FileTrigger['secret'] | undefined;
      if (ref === undefined) problems.push({ path: `${path}.secret`, message: 'is required: the secret by reference (env:NAME, file:path or vault:NAME), so the sender can have it too' });
      else if (typeof ref === 'string' && ref.startsWith(VAULT)) {
        const vault = ref.slice(VAULT.length);
        if (SECRET_NAME_PATTERN.test(vault)) secret = { vault };
        else problems.push({ path: `${path}.secret`, message: `${JSON.stringify(vault)} is not a valid secret name` });
      } else {
        const value = resolveReference(ref, `${path}.secret`, { ...ctx, problems });
        if (value !== undefined) {
          const bad = secretProblems(auth, value, `${path}.secret`);
          if (bad.length > 0) problems.push(...bad.map((p) => ({ ...p, message: `refers to a value that cannot be used: ${p.message}` })));
          else secret = { value };
        }
      }
      ctx.problems.push(...problems);
      if (problems.length > 0 || !secret) continue;
      const def = rest as Omit<TriggerCreateParams, 'name' | 'secret' | 'mapping'>;
      const spec: FileTrigger['spec'] = { target: def.target, auth, description: def.description ?? null, mapping: (mapping ?? null) as TriggerCreateParams['mapping'], ...(def.rate_limit ? { rate_limit: def.rate_limit } : {}) };
      out.push({ name, spec: { spec, secret }, digest: digestOf({ ...spec, secret: ref }) });
    }
    return out;
  },
  async check(item, _existing, ctx, problems) {
    const path = `triggers.${item.name}`;
    const { target, auth } = item.spec.spec;
    const named = (field: string) => (err: unknown) => {
      if (err instanceof DomainError && ['AGENT_NOT_FOUND', 'ENDPOINT_NOT_FOUND', 'WORKFLOW_NOT_FOUND', 'SECRET_NOT_FOUND'].includes(err.code)) {
        const f = err.code === 'ENDPOINT_NOT_FOUND' ? 'target.endpoint' : field;
        return void problems.push({ path: `${path}.${f}`, message: `${err.message} (neither in this file nor on the server)` });
      }
      throw err;
    };
    if ('workflow' in target) {
      if (!ctx.desired.get('workflows')?.some((w) => w.name === target.workflow)) await ctx.engine.workflows.resolve(ctx.tenantId, target.workflow).catch(named('target.workflow'));
    } else {
      const agent = ctx.desired.get('agents')?.find((a) => a.name === target.agent);
      const m = agent ? validateManifest(agent.spec) : null;
      if (m?.ok) {
        if (!m.value.endpoints[target.endpoint]) problems.push({ path: `${path}.target.endpoint`, message: `agent ${target.agent} of this file has no endpoint ${target.endpoint}` });
      } else await ctx.engine.agents.resolveLatest(ctx.tenantId, target.agent, target.endpoint).catch(named('target.agent'));
    }
    let secret: string | undefined;
    try {
      secret = await secretOf(item.spec, ctx);
    } catch (err) {
      named('secret')(err);
    }
    if (secret !== undefined) for (const p of secretProblems(auth ?? 'signature', secret, `${path}.secret`)) problems.push({ ...p, message: `refers to a vault secret that cannot be used: ${p.message}` });
    const stored = (await ctx.engine.triggers.listNamed(ctx.tenantId)).find((t) => t.name === item.name);
    if (stored && stored.auth !== auth) problems.push({ path: `${path}.auth`, message: `trigger ${item.name} uses ${stored.auth} auth; remove it from the file (or delete it) and reload before adding it back as ${auth}` });
  },
  async current(item, _resourceId, ctx) {
    const secret = await secretOf(item.spec, ctx).catch(() => null);
    return secret !== null && ctx.engine.triggers.currentSecretIs(ctx.tenantId, item.name, secret);
  },
  async apply(item, _existing, ctx) {
    const { trigger } = await ctx.engine.triggers.putByName(ctx.tenantId, item.name, { ...item.spec.spec, secret: await secretOf(item.spec, ctx) });
    return trigger.id;
  },
  async remove(_name, resourceId, { engine, tenantId }) {
    await engine.triggers.delete({ tenantId, id: resourceId }).catch((err: unknown) => {
      if (!(err instanceof DomainError && err.code === 'TRIGGER_NOT_FOUND')) throw err;
    });
  },
};
