import type { McpServer, McpServerStatus, McpTool } from '@agentd/protocol';

import type { McpServersTable } from '../store/index.ts';
import { canonicalJson, type WireFormat } from '../core/index.ts';

/** A registered server as the API shows it (a secret's name, never its value). */
export function toMcpServer(r: McpServersTable, wire: WireFormat): McpServer {
  return {
    name: r.name,
    url: r.url,
    auth_secret: r.auth_secret,
    auth_header: r.auth_header,
    description: r.description,
    status: r.status as McpServerStatus,
    tools: JSON.parse(r.tools) as McpTool[],
    tools_hash: r.tools_hash,
    pending_tools: r.pending_tools === null ? null : (JSON.parse(r.pending_tools) as McpTool[]),
    pending_tools_hash: r.pending_tools_hash,
    disabled_reason: r.disabled_reason,
    disabled_at: wire.isoOrNull(r.disabled_at),
    approved_at: wire.iso(Number(r.approved_at)),
    created_at: wire.iso(Number(r.created_at)),
    updated_at: wire.iso(Number(r.updated_at)),
  };
}

/** What changed between two tool lists, by name, for the disabling's reason and audit record. */
export function toolChanges(before: readonly McpTool[], after: readonly McpTool[]): { added: string[]; removed: string[]; changed: string[] } {
  const old = new Map(before.map((t) => [t.name, canonicalJson(t)]));
  const now = new Map(after.map((t) => [t.name, canonicalJson(t)]));
  return {
    added: [...now.keys()].filter((n) => !old.has(n)),
    removed: [...old.keys()].filter((n) => !now.has(n)),
    changed: [...now.keys()].filter((n) => old.has(n) && old.get(n) !== now.get(n)),
  };
}

export function describeChanges(c: { added: string[]; removed: string[]; changed: string[] }): string {
  const parts = [c.changed.length ? `changed: ${c.changed.join(', ')}` : '', c.added.length ? `added: ${c.added.join(', ')}` : '', c.removed.length ? `removed: ${c.removed.join(', ')}` : ''].filter(Boolean);
  return `the server's tools differ from the approved ones (${parts.join('; ') || 'reordered'}); an admin must approve them again`;
}
