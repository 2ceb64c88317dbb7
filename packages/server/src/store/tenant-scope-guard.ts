import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/**
 * Every table is one or the other; a test fails when a migration adds a table to neither, so
 * a new table is checked from its first query.
 */
export const TENANT_TABLES: ReadonlySet<string> = new Set([
  'api_keys', 'agents', 'agent_versions', 'runs', 'run_attempts', 'run_events', 'idempotency_keys', 'approvals',
  'approval_votes', 'approval_links_used', 'secrets', 'secret_versions', 'grants', 'findings', 'audit_log',
  'workflows', 'workflow_versions',
  'schedules', 'schedule_slots',
  'signals',
  'webhooks', 'webhook_secrets', 'webhook_deliveries',
  'triggers', 'trigger_secrets', 'trigger_receipts', 'trigger_deliveries',
  'workflow_steps',
  'sessions', 'session_messages',
  'config_resources',
  'usage_steps', 'usage_runs', 'usage_daily', 'usage_budgets',
  'mcp_servers',
]);
/**
 * `rate_limit_buckets` (PostgreSQL only) is keyed by bucket names that carry the tenant or key themselves;
 * `model_rate_buckets` by model alias, which belongs to the server, not to a tenant.
 */
export const UNSCOPED_TABLES: ReadonlySet<string> = new Set(['tenants', 'agentd_migrations', 'rate_limit_buckets', 'model_rate_buckets']);

type Node = { kind?: string; [key: string]: unknown };

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null;

/** Every node of a tree, depth first (operation nodes are plain frozen objects and arrays). */
function* walk(v: unknown): Generator<Node> {
  if (Array.isArray(v)) {
    for (const x of v) yield* walk(x);
  } else if (isNode(v)) {
    yield v;
    for (const key of Object.keys(v)) if (key !== 'kind') yield* walk(v[key]);
  }
}

function tableName(n: unknown): string | null {
  if (!isNode(n)) return null;
  if (n.kind === 'AliasNode') return tableName(n.node);
  if (n.kind !== 'TableNode') return null;
  const id = (n.table as Node | undefined)?.identifier as Node | undefined;
  return typeof id?.name === 'string' ? id.name : null;
}

const mentionsTenantColumn = (tree: unknown): boolean => {
  for (const n of walk(tree)) if (n.kind === 'ColumnNode' && ((n.column as Node | undefined)?.name as unknown) === 'tenant_id') return true;
  return false;
};

/** Why a query reads or writes tenant rows without naming a tenant, or null when it does not. */
export function unscopedReason(root: RootOperationNode): string | null {
  for (const n of walk(root)) {
    switch (n.kind) {
      case 'SelectQueryNode':
      case 'UpdateQueryNode':
      case 'DeleteQueryNode': {
        const froms = n.kind === 'UpdateQueryNode' ? [n.table] : (((n.from as Node | undefined)?.froms as unknown[]) ?? []);
        const tables = [...froms, ...(((n.joins as Node[] | undefined) ?? []).map((j) => j.table))].map(tableName).filter((t): t is string => t !== null);
        const scoped = tables.filter((t) => TENANT_TABLES.has(t));
        if (scoped.length > 0 && !mentionsTenantColumn(n.where)) return `${n.kind.replace('QueryNode', '').toLowerCase()} on ${scoped.join(', ')} without tenant_id in its WHERE`;
        break;
      }
      case 'InsertQueryNode': {
        const table = tableName(n.into);
        if (table && TENANT_TABLES.has(table) && !mentionsTenantColumn(n.columns)) return `insert into ${table} without a tenant_id column`;
        break;
      }
      case 'RawNode': {
        // Raw SQL is checked by its text: a tenant table named, tenant_id never.
        const text = ((n.sqlFragments as string[] | undefined) ?? []).join('?');
        if (/\btenant_id\b/.test(text)) break;
        const named = /\b(?:from|join|update|into)\s+"?([a-z_]+)"?/gi;
        for (const m of text.matchAll(named)) if (TENANT_TABLES.has(m[1].toLowerCase())) return `raw SQL on ${m[1]} without tenant_id`;
        break;
      }
    }
  }
  return null;
}

/**
 * Tests run every store with this plugin: a query on a tenant table that does not name a tenant
 * fails loudly, so a route that forgot its tenant cannot pass the suite. A query that must span
 * tenants (the sweeper, key lookup by hash) says so with `allTenants(db)`. The check happens
 * when the result comes back, because the exemption is a plugin that runs after this one.
 */
export class TenantScopeGuard implements KyselyPlugin {
  readonly #pending = new WeakMap<object, string>();
  /** The plugin `allTenants` adds: it clears the pending complaint about its own query. */
  readonly exemption: KyselyPlugin = {
    transformQuery: (args: PluginTransformQueryArgs) => {
      this.#pending.delete(args.queryId);
      return args.node;
    },
    transformResult: async (args: PluginTransformResultArgs) => args.result,
  };

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const why = unscopedReason(args.node);
    if (why) this.#pending.set(args.queryId, why);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const why = this.#pending.get(args.queryId);
    if (why) throw new Error(`tenant scope: ${why} (scope it by tenant, or wrap the builder in allTenants() and say why)`);
    return args.result;
  }
}
