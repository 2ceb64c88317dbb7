import { validateManifest } from '@agentd/protocol/manifest';
import { agentSteps, compileWorkflow } from '@agentd/protocol/workflow';
import { DomainError } from '../core/index.ts';
import type { DesiredResource, ResourceSection } from './config-section.ts';
import { digestOf } from './config-values.ts';
import { documentProblems, readDocuments } from './document-list.ts';

/**
 * `workflows:` — workflow definitions (file paths or inline), deployed as `POST /v1/workflows`
 * deploys them, after the file's agents (a step's agent must exist).
 */
export const workflowsSection: ResourceSection<Record<string, unknown>> = {
  kind: 'resources',
  name: 'workflows',
  parse(raw, ctx) {
    const out: DesiredResource<Record<string, unknown>>[] = [];
    for (const item of readDocuments('workflows', raw, ctx)) {
      const w = compileWorkflow(item.doc);
      if (!w.ok) {
        documentProblems(item, w.problems, ctx);
        continue;
      }
      if (out.some((x) => x.name === w.value.name)) ctx.problems.push({ path: `${item.path}.name`, message: `workflow ${w.value.name} is listed twice` });
      else out.push({ name: w.value.name, spec: item.doc as Record<string, unknown>, digest: digestOf(item.doc) });
    }
    return out;
  },
  /** Each agent step's agent and endpoint: in the file's `agents:` or on the server (deploy checks the same, too late to change nothing). */
  async check(item, _existing, ctx, problems) {
    const w = compileWorkflow(item.spec);
    if (!w.ok) return;
    const index = (ctx.desired.get('workflows') ?? []).indexOf(item);
    const known = new Map<string, Set<string> | null>();
    for (const step of agentSteps(w.value)) {
      if (!known.has(step.agent)) {
        const inFile = ctx.desired.get('agents')?.find((a) => a.name === step.agent);
        const m = inFile ? validateManifest(inFile.spec) : null;
        if (m?.ok) known.set(step.agent, new Set(Object.keys(m.value.endpoints)));
        else {
          const agent = await ctx.engine.agents.get(ctx.tenantId, step.agent).catch((err: unknown) => {
            if (err instanceof DomainError && err.code === 'AGENT_NOT_FOUND') return null;
            throw err;
          });
          known.set(step.agent, agent ? new Set(Object.keys(agent.endpoints)) : null);
        }
      }
      const endpoints = known.get(step.agent);
      const path = `workflows.${index}.${step.path}`;
      if (!endpoints) problems.push({ path: `${path}.agent`, message: `no agent named ${step.agent}, neither in this file nor on the server` });
      else if (!endpoints.has(step.endpoint)) problems.push({ path: `${path}.endpoint`, message: `agent ${step.agent} has no endpoint ${step.endpoint}` });
    }
  },
  async apply(item, _existing, { engine, tenantId }) {
    await engine.workflows.deploy(tenantId, item.spec);
    return item.name;
  },
  async remove(_name, resourceId, { engine, tenantId }) {
    await engine.workflows.delete(tenantId, resourceId).catch((err: unknown) => {
      if (!(err instanceof DomainError && err.code === 'WORKFLOW_NOT_FOUND')) throw err;
    });
  },
};
