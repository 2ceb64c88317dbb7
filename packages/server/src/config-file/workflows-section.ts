import { compileWorkflow } from '@agentd/protocol/workflow';
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
