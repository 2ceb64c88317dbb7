import type { Agentd, Run } from '@agentd/sdk';

/** Biggest page the server gives. */
const PAGE = 500;

/** Every run of the tree `id` belongs to (from its root down), walking the pages of `?root=`. */
export async function treeOf(client: Agentd, id: string): Promise<{ root: string; runs: Run[] }> {
  const run = await client.runs.retrieve(id);
  const runs: Run[] = [];
  for await (const r of client.runs.list({ root: run.root_run_id, limit: PAGE })) runs.push(r);
  return { root: run.root_run_id, runs };
}

/**
 * The tree as indented lines, children under their parent in the order they were made:
 * `run_… agent/endpoint status [key]`. `mark` is the run asked about, flagged with `*`.
 */
export function formatTree(tree: { root: string; runs: Run[] }, mark: string): string {
  const byParent = new Map<string | null, Run[]>();
  for (const r of [...tree.runs].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))) {
    const siblings = byParent.get(r.parent_run_id) ?? [];
    siblings.push(r);
    byParent.set(r.parent_run_id, siblings);
  }
  const lines: string[] = [];
  const walk = (r: Run, depth: number) => {
    const key = r.call_key && r.call_key !== r.id ? ` [${r.call_key}]` : '';
    const why = r.waiting_reason ? ` (${r.waiting_reason})` : '';
    lines.push(`${'  '.repeat(depth)}${r.id === mark ? '*' : '-'} ${r.id} ${r.agent}/${r.endpoint} ${r.status}${why}${key}`);
    for (const c of byParent.get(r.id) ?? []) walk(c, depth + 1);
  };
  const root = tree.runs.find((r) => r.id === tree.root);
  if (root) walk(root, 0);
  return lines.join('\n');
}
