import { readFileSync } from 'node:fs';
import { parseManifestText } from '@agentd/protocol/manifest';
import type { ParseContext } from './config-section.ts';
import { fromFileDir, isObject } from './config-values.ts';

/**
 * The items of a list of documents (`agents:`, `workflows:`): each a path to a YAML or JSON
 * file (`- agents/hello.yaml`, or `- file: agents/hello.yaml`), relative to the config file, or
 * the document inline. Yields each document with the path its problems are reported under.
 */
export function readDocuments(section: string, raw: unknown, ctx: ParseContext): { path: string; doc: unknown; source: string }[] {
  if (raw === null || raw === undefined) return [];
  if (!Array.isArray(raw)) {
    ctx.problems.push({ path: section, message: 'must be a list of file paths or inline documents' });
    return [];
  }
  const out: { path: string; doc: unknown; source: string }[] = [];
  raw.forEach((item, i) => {
    const path = `${section}.${i}`;
    const file = typeof item === 'string' ? item : isObject(item) && Object.keys(item).length === 1 && typeof item.file === 'string' ? item.file : null;
    if (file === null) {
      if (!isObject(item)) ctx.problems.push({ path, message: 'must be a file path or an inline document' });
      else out.push({ path, doc: item, source: path });
      return;
    }
    const full = fromFileDir(ctx, file);
    let text: string;
    try {
      text = readFileSync(full, 'utf8');
    } catch (err) {
      ctx.problems.push({ path, message: `cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
      return;
    }
    const parsed = parseManifestText(text);
    if (!parsed.ok) for (const p of parsed.problems) ctx.problems.push({ path, message: `${full}: ${p.message}` });
    else out.push({ path, doc: parsed.value, source: full });
  });
  return out;
}

/** `problems` of one document, under the path of its item (`agents.0 (hello.yaml): spec.runtime …`). */
export function documentProblems(item: { path: string; source: string }, problems: { path: string; message: string }[], ctx: ParseContext): void {
  const where = item.source === item.path ? item.path : `${item.path} (${item.source})`;
  for (const p of problems) ctx.problems.push({ path: p.path ? `${item.path}.${p.path}` : item.path, message: where === item.path ? p.message : `${p.message} [in ${item.source}]` });
}
