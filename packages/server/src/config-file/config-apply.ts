import type { FieldProblem } from '@agentd/protocol';
import type { ConfigDiff } from '@agentd/protocol/schemas';
import { DomainError } from '../core/index.ts';
import type { Engine } from '../engine.ts';
import type { ApplyContext, DesiredResource, ResourceSection } from './config-section.ts';
import { CONFIG_SECTIONS } from './config-sections.ts';
import type { LoadedConfig } from './config-load.ts';
import { isStoreUnavailable } from '../store/index.ts';

export const emptyDiff = (): ConfigDiff => ({ added: [], changed: [], removed: [], unchanged: [] });

interface Step {
  section: ResourceSection;
  item: DesiredResource;
  existing: string | null;
  change: 'added' | 'changed';
}

/**
 * Applies the file's resources: compares each section's resources with the ones recorded in
 * `config_resources` (by digest), checks every addition and change against the server before
 * writing anything (a schedule's agent and input), then creates and updates section by section
 * and deletes what the file no longer lists, last section first. Entries of the diff are
 * `section/name`. A check that fails changes nothing (422 CONFIG_INVALID with the paths); a
 * write that fails after the checks (the database, a race with another node) stops there, and
 * the error says what was applied before it.
 */
export async function applyResources(engine: Engine, tenantId: string, config: LoadedConfig): Promise<ConfigDiff> {
  const diff = emptyDiff();
  const ctx: ApplyContext = { engine, tenantId, desired: config.resources };
  const steps: Step[] = [];
  const removals: { section: ResourceSection; name: string; resourceId: string }[] = [];
  const sections = CONFIG_SECTIONS.filter((s): s is ResourceSection => s.kind === 'resources');
  for (const section of sections) {
    const rows = new Map((await engine.configResources.list(tenantId, section.name)).map((r) => [r.name, r]));
    const desired = config.resources.get(section.name) ?? [];
    for (const item of desired) {
      const row = rows.get(item.name);
      if (!row) steps.push({ section, item, existing: null, change: 'added' });
      else if (row.digest !== item.digest || (section.current && !(await section.current(item, row.resource_id, ctx)))) steps.push({ section, item, existing: row.resource_id, change: 'changed' });
      else diff.unchanged.push(`${section.name}/${item.name}`);
    }
    for (const row of rows.values()) if (!desired.some((d) => d.name === row.name)) removals.unshift({ section, name: row.name, resourceId: row.resource_id });
  }
  const problems: FieldProblem[] = [];
  for (const s of steps) await s.section.check?.(s.item, s.existing, ctx, problems);
  if (problems.length > 0) throw new DomainError('CONFIG_INVALID', `${config.path} cannot be applied; nothing was changed`, problems);
  const done: string[] = [];
  const failed = (what: string, err: unknown): never => {
    // The database gone is the database's error (503 UNAVAILABLE), not the file's.
    if (isStoreUnavailable(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const details: FieldProblem[] = [{ path: what.replace('/', '.'), message }];
    throw new DomainError('CONFIG_INVALID', `${config.path}: applying ${what} failed (${message}); applied before it: ${done.length > 0 ? done.join(', ') : 'nothing'}`, details);
  };
  for (const s of steps) {
    const what = `${s.section.name}/${s.item.name}`;
    try {
      const resourceId = await s.section.apply(s.item, s.existing, ctx);
      await engine.configResources.record({ tenant_id: tenantId, section: s.section.name, name: s.item.name, resource_id: resourceId, digest: s.item.digest });
    } catch (err) {
      failed(what, err);
    }
    diff[s.change].push(what);
    done.push(what);
  }
  for (const r of removals) {
    const what = `${r.section.name}/${r.name}`;
    try {
      await r.section.remove(r.name, r.resourceId, ctx);
      await engine.configResources.forget(tenantId, r.section.name, r.name);
    } catch (err) {
      failed(what, err);
    }
    diff.removed.push(what);
    done.push(what);
  }
  return diff;
}
