import { validateManifest } from '@agentd/protocol/manifest';
import { DomainError } from '../core/index.ts';
import type { DesiredResource, ResourceSection } from './config-section.ts';
import { digestOf } from './config-values.ts';
import { documentProblems, readDocuments } from './document-list.ts';

/**
 * `agents:` — agent manifests (file paths or inline), deployed as `POST /v1/agents` deploys
 * them. A changed manifest is a new version; an agent no longer in the file is deleted (soft:
 * its runs keep their version).
 */
export const agentsSection: ResourceSection<Record<string, unknown>> = {
  kind: 'resources',
  name: 'agents',
  parse(raw, ctx) {
    const out: DesiredResource<Record<string, unknown>>[] = [];
    for (const item of readDocuments('agents', raw, ctx)) {
      const m = validateManifest(item.doc);
      if (!m.ok) {
        documentProblems(item, m.problems, ctx);
        continue;
      }
      if (out.some((a) => a.name === m.value.name)) ctx.problems.push({ path: `${item.path}.metadata.name`, message: `agent ${m.value.name} is listed twice` });
      else out.push({ name: m.value.name, spec: item.doc as Record<string, unknown>, digest: digestOf(item.doc) });
    }
    return out;
  },
  async apply(item, _existing, { engine, tenantId }) {
    await engine.agents.deploy(tenantId, item.spec);
    return item.name;
  },
  async remove(_name, resourceId, { engine, tenantId }) {
    await engine.agents.delete(tenantId, resourceId).catch((err: unknown) => {
      if (!(err instanceof DomainError && err.code === 'AGENT_NOT_FOUND')) throw err;
    });
  },
};
