import type { FieldProblem, ScheduleCreate } from '@agentd/protocol';
import { compileUserSchema, schemaProblems, validateManifest } from '@agentd/protocol/manifest';
import { ScheduleCreate as ScheduleCreateSchema } from '@agentd/protocol/schemas';
import { compileWorkflow } from '@agentd/protocol/workflow';
import Type from 'typebox';
import { DomainError } from '../core/index.ts';
import { CronCache } from '../schedules/index.ts';
import type { ApplyContext, DesiredResource, ResourceSection } from './config-section.ts';
import { checkSchema, digestOf, isObject } from './config-values.ts';

type ScheduleSpec = Omit<ScheduleCreate, 'id'>;

const [AGENT_TARGET, WORKFLOW_TARGET] = ScheduleCreateSchema.properties.target.anyOf;
/** The create schema with the one branch of `target` the entry means (`workflow` named: that one), so its problems name that branch's fields only. */
const BY_TARGET = {
  agent: Type.Object({ ...ScheduleCreateSchema.properties, target: AGENT_TARGET }, { additionalProperties: false }),
  workflow: Type.Object({ ...ScheduleCreateSchema.properties, target: WORKFLOW_TARGET }, { additionalProperties: false }),
};
const scheduleSchemaFor = (target: unknown) => (isObject(target) && 'workflow' in target ? BY_TARGET.workflow : BY_TARGET.agent);

/** The endpoint's input schema from a manifest of the file, or null when the file has no such agent. */
function fileEndpoint(ctx: ApplyContext, agent: string, endpoint: string): { found: false } | { found: true; input: unknown } | null {
  const item = ctx.desired.get('agents')?.find((a) => a.name === agent);
  if (!item) return null;
  const m = validateManifest(item.spec);
  if (!m.ok) return null;
  const ep = m.value.endpoints[endpoint];
  return ep ? { found: true, input: ep.input } : { found: false };
}

/**
 * `schedules:` — schedule id → its definition, the body of `POST /v1/schedules` without `id`
 * (`cron`, `timezone`, `target: {agent, endpoint}` or `{workflow}`, `input`, `overlap_policy`,
 * `missed_policy`, `paused`). Created or updated through the schedule service; a schedule no
 * longer in the file is deleted. Applied after `agents:`, so a schedule may target an agent the
 * same file deploys.
 */
export const schedulesSection: ResourceSection<ScheduleSpec> = {
  kind: 'resources',
  name: 'schedules',
  parse(raw, ctx) {
    if (raw === null || raw === undefined) return [];
    if (!isObject(raw)) {
      ctx.problems.push({ path: 'schedules', message: 'must be a mapping of schedule id to schedule' });
      return [];
    }
    const crons = new CronCache();
    const out: DesiredResource<ScheduleSpec>[] = [];
    for (const [id, body] of Object.entries(raw)) {
      const path = `schedules.${id}`;
      if (!isObject(body)) {
        ctx.problems.push({ path, message: 'must be a schedule (cron, timezone, target, input…)' });
        continue;
      }
      if ('id' in body) {
        ctx.problems.push({ path: `${path}.id`, message: 'is the key of the entry: leave it out' });
        continue;
      }
      const before = ctx.problems.length;
      const problems: FieldProblem[] = [];
      if (!checkSchema(scheduleSchemaFor(body.target), { id, ...body }, path, problems)) {
        ctx.problems.push(...problems.map((p) => ({ ...p, path: p.path === `${path}.id` ? path : p.path, message: p.path === `${path}.id` ? `is not a valid schedule id (${p.message})` : p.message })));
        continue;
      }
      const spec = body as ScheduleSpec;
      const timing = crons.parse(spec.cron, spec.timezone ?? 'UTC', Date.now());
      if (!timing.ok) for (const p of timing.problems) ctx.problems.push({ path: `${path}.${p.path}`, message: p.message });
      if (ctx.problems.length === before) out.push({ name: id, spec, digest: digestOf(spec) });
    }
    return out;
  },
  async check(item, _existing, ctx, problems) {
    const target = item.spec.target;
    const path = `schedules.${item.name}`;
    if ('workflow' in target) {
      // The input against the workflow's input schema: of the file's workflow (deployed first,
      // workflows: comes before schedules:) or of the server's latest version, as the schedule
      // service checks it when the schedule is saved — too late to change nothing.
      let schema: Record<string, unknown> | boolean | null;
      const inFile = ctx.desired.get('workflows')?.find((w) => w.name === target.workflow);
      if (inFile) {
        const w = compileWorkflow(inFile.spec);
        if (!w.ok) return;
        schema = w.value.inputSchema;
      } else {
        try {
          schema = (await ctx.engine.workflows.resolve(ctx.tenantId, target.workflow)).workflow.inputSchema;
        } catch (err) {
          if (err instanceof DomainError && err.code === 'WORKFLOW_NOT_FOUND') return void problems.push({ path: `${path}.target.workflow`, message: `${err.message} (neither in this file nor on the server)` });
          throw err;
        }
      }
      const validate = schema === null ? null : compileUserSchema(schema);
      if (validate && !validate(item.spec.input === undefined ? null : item.spec.input)) problems.push(...schemaProblems(`${path}.input`, validate.errors));
      return;
    }
    const { agent, endpoint } = target;
    const input = item.spec.input === undefined ? null : item.spec.input;
    const inFile = fileEndpoint(ctx, agent, endpoint);
    let validate: ((v: unknown) => boolean) & { errors?: unknown } ;
    if (inFile) {
      if (!inFile.found) return void problems.push({ path: `${path}.target.endpoint`, message: `agent ${agent} of this file has no endpoint ${endpoint}` });
      validate = compileUserSchema(inFile.input as Record<string, unknown>);
    } else {
      try {
        validate = (await ctx.engine.agents.resolveLatest(ctx.tenantId, agent, endpoint)).validateInput;
      } catch (err) {
        if (err instanceof DomainError && (err.code === 'AGENT_NOT_FOUND' || err.code === 'ENDPOINT_NOT_FOUND')) {
          return void problems.push({ path: `${path}.target.${err.code === 'AGENT_NOT_FOUND' ? 'agent' : 'endpoint'}`, message: `${err.message} (neither in this file nor on the server)` });
        }
        throw err;
      }
    }
    if (!validate(input)) problems.push(...schemaProblems(`${path}.input`, (validate as { errors?: Parameters<typeof schemaProblems>[1] }).errors));
  },
  async apply(item, _existing, { engine, tenantId }) {
    const s = item.spec;
    const exists = await engine.schedules.get(tenantId, item.name).then(
      () => true,
      (err: unknown) => {
        if (err instanceof DomainError && err.code === 'SCHEDULE_NOT_FOUND') return false;
        throw err;
      },
    );
    if (!exists) {
      await engine.schedules.create(tenantId, { id: item.name, ...s }, async () => {});
    } else {
      await engine.schedules.update(tenantId, item.name, {
        cron: s.cron,
        timezone: s.timezone ?? 'UTC',
        target: s.target,
        input: s.input === undefined ? null : s.input,
        overlap_policy: s.overlap_policy ?? 'skip',
        missed_policy: s.missed_policy ?? 'skip',
        paused: s.paused ?? false,
      });
    }
    return item.name;
  },
  async remove(_name, resourceId, { engine, tenantId }) {
    await engine.schedules.delete(tenantId, resourceId).catch((err: unknown) => {
      if (!(err instanceof DomainError && err.code === 'SCHEDULE_NOT_FOUND')) throw err;
    });
  },
};
