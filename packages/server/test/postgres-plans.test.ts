/**
 * The PostgreSQL hot-path statements name their runs by id; their tenant check must not become
 * the way the planner finds the rows. As a restriction (`r.tenant_id = $n`) it once did, on
 * tables whose statistics lag their growth (a new deployment, a burst before autovacuum's next
 * analyze): the lease walked runs_ready, the batched completion runs_list, every queued or
 * listed run of the tenant per statement, 15–30% of end-to-end throughput in the bench. Here the
 * tables were never analysed; with the old form both plans below use tenant_id in an index
 * condition.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { statusChange } from '../src/runs/run-transitions.ts';
import { leaseRunsStatement, succeedRunsStatement } from '../src/store/postgres/postgres-queries.ts';
import { createPostgresDatabase, postgresUnavailable, type TestDatabase } from './helpers/dialects.ts';

const TENANT = 'ten_plans';
const QUEUED = 200;
const HISTORY = 5000;
const BATCH = 100;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Plans?: PlanNode[];
}

/**
 * How each scan of `runs` in a plan finds its rows: "<node type> <index>: <condition>", with a
 * bitmap scan's index scans under it.
 */
function runsAccesses(node: PlanNode, out: string[] = [], underRuns = false): string[] {
  const onRuns = node['Relation Name'] === 'runs' && node['Node Type'] !== 'ModifyTable';
  if (onRuns || (underRuns && node['Node Type'] === 'Bitmap Index Scan')) {
    out.push(`${node['Node Type']} ${node['Index Name'] ?? ''}: ${node['Index Cond'] ?? node['Recheck Cond'] ?? ''}`);
  }
  for (const child of node.Plans ?? []) runsAccesses(child, out, onRuns || (underRuns && node['Node Type'].startsWith('Bitmap')));
  return out;
}

const why = await postgresUnavailable();
if (why && process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true: ${why}`);

describe('PostgreSQL plans of the hot-path statements', { skip: why ? `PostgreSQL unreachable (${why})` : false }, () => {
  let db: TestDatabase;
  let client: pg.Client;

  before(async () => {
    db = await createPostgresDatabase();
    const store = await db.open(() => Date.now());
    await store.close();
    client = new pg.Client({ connectionString: db.location });
    await client.connect();
    // Statistics that lag the table: no analyze has seen these rows.
    await client.query('ALTER TABLE runs SET (autovacuum_enabled = false)');
    await client.query('ALTER TABLE run_attempts SET (autovacuum_enabled = false)');
    await client.query(`INSERT INTO tenants (id, name, created_at) VALUES ('${TENANT}', 'plans', 0), ('ten_other', 'other', 0)`);
    const insert = (tenant: string, status: string, n: number, prefix: string, leased: boolean) =>
      client.query(
        `INSERT INTO runs (id, tenant_id, agent, agent_version, endpoint, status, input, metadata, max_attempts, retry, timeout_ms, available_at, lease_id, created_at, updated_at)
         SELECT '${prefix}' || lpad(g::text, 8, '0'), $1, 'agent', 1, 'go', $2, '{}', '{}', 3, '{}', 60000, g, ${leased ? `'lse_${prefix}' || g` : 'null'}, g, g
         FROM generate_series(1, $3) AS g`,
        [tenant, status, n],
      );
    await insert(TENANT, 'succeeded', HISTORY, 'run_s', false);
    await insert(TENANT, 'queued', QUEUED, 'run_q', false);
    await insert(TENANT, 'running', BATCH, 'run_r', true);
    await insert('ten_other', 'queued', QUEUED, 'run_o', false);
  });

  after(async () => {
    await client?.end();
    await db?.cleanup();
  });

  async function accesses(statement: { text: string; params: unknown[] }): Promise<string[]> {
    const res = await client.query(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.params);
    const plan = (res.rows[0] as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0].Plan;
    return runsAccesses(plan);
  }

  it('the lease UPDATE does not find its runs through a tenant-led index', async () => {
    const ids = Array.from({ length: BATCH }, (_, i) => `run_q${String(i * 7 + 1).padStart(8, '0')}`);
    const found = await accesses(
      leaseRunsStatement({ ...statusChange('lease'), tenantId: TENANT, ids, leaseIds: new Map(ids.map((id) => [id, `lse_${id}`])), now: 1, leaseTtlMs: 30_000, workerId: 'w' }),
    );
    assert.ok(found.length > 0, 'the plan reads runs');
    assert.deepEqual(found.filter((a) => a.includes('tenant_id')), [], `no access to runs by tenant: ${found.join('; ')}`);
  });

  it('the attempt-timeout sweep reads only the due runs (runs_attempt_due), and runs keeps a tenth of each page free for HOT updates', async () => {
    // The query of RunTimers.attemptTimeouts (timers/run-timers.ts).
    const found = await accesses({ text: `select * from runs where status = 'running' and attempt_deadline_at < $1 limit $2`, params: [1, 100] });
    assert.ok(found.some((a) => a.includes('runs_attempt_due') && a.includes('attempt_deadline_at')), found.join('; '));
    const options = await client.query(`select reloptions from pg_class where relname = 'runs'`);
    assert.ok((options.rows[0].reloptions as string[]).includes('fillfactor=90'), JSON.stringify(options.rows));
  });

  it('the batched success UPDATE does not find its runs through a tenant-led index', async () => {
    const runs = Array.from({ length: BATCH }, (_, i) => ({ id: `run_r${String(i + 1).padStart(8, '0')}`, leaseId: `lse_run_r${i + 1}`, output: '{}' }));
    const found = await accesses(succeedRunsStatement({ ...statusChange('complete'), tenantId: TENANT, runs, now: 1 }));
    assert.ok(found.length > 0, 'the plan reads runs');
    assert.deepEqual(found.filter((a) => a.includes('tenant_id')), [], `no access to runs by tenant: ${found.join('; ')}`);
  });
});
