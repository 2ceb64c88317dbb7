/**
 * One module owns every transition of a run (docs/architecture.md): checked on the source.
 * - Outside the run state machine's files nothing writes `runs.status`: no Kysely UPDATE of runs
 *   that sets `status` (or spreads an object into its SET, which could), no INSERT of runs, no raw
 *   SQL that does either.
 * - The dialects' set-wise SQL (store.queries.leaseRuns and succeedRuns, in store/sqlite and
 *   store/postgres) does write statuses, for the hot paths; it must take every status, from-state
 *   and attempt outcome from the change the state machine hands it (its table), never from a
 *   literal of its own. test/run-transitions.test.ts checks at run time that what it is handed
 *   is the table's.
 */
import assert from 'node:assert/strict';
import { existsSync, globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** The run state machine: the only files that may write a run's status themselves. */
const STATE_MACHINE = ['runs/run-transitions.ts', 'runs/run-transition-writes.ts', 'runs/run-state-machine.ts', 'runs/run-batch-transitions.ts'];
/** The dialects' set-wise transitions: they write statuses handed to them, never their own. */
const DIALECT_QUERIES = ['store/sqlite/sqlite-queries.ts', 'store/postgres/postgres-queries.ts'];

/** The text of each statement that starts at `start` matches, up to its execution (or 1,500 characters). */
function statements(text: string, start: RegExp): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(new RegExp(start.source, `${start.flags.replace('g', '')}g`))) {
    const from = m.index ?? 0;
    const rest = text.slice(from, from + 1500);
    const end = rest.search(/\.execute\w*\(|\bselect \* from\b|`;/);
    out.push(end < 0 ? rest : rest.slice(0, end));
  }
  return out;
}

const KYSELY_UPDATE = /\.updateTable\(\s*['"]runs(?:\s+as\s+\w+)?['"]\s*\)/;
const RAW_UPDATE = /\bupdate\s+"?runs"?(?:\s+as\s+\w+)?\s+set\b/i;

/** Every write of a run's status in `file`, as one readable line each (none allowed here). */
export function statusWrites(file: string, text: string): string[] {
  const out: string[] = [];
  for (const s of statements(text, KYSELY_UPDATE)) {
    if (/\bstatus\s*:/.test(s)) out.push(`${file} sets runs.status in an UPDATE: use the run state machine (runs/index.ts)`);
    else if (/\.set\([^]*?\.\.\./.test(s)) out.push(`${file} spreads an object into an UPDATE of runs (it could set status): write the fields out`);
  }
  for (const s of statements(text, RAW_UPDATE)) if (/\bstatus\s*=/.test(s)) out.push(`${file} sets runs.status in raw SQL: use the run state machine`);
  if (/\.insertInto\(\s*['"]runs['"]\s*\)/.test(text) || /\binsertRows\([^)]*?['"]runs['"]/.test(text) || /\binsert\s+into\s+"?runs"?[\s(]/i.test(text)) {
    out.push(`${file} inserts runs: creating a run is the state machine's createRuns`);
  }
  return out;
}

/** Every status a dialect's set-wise SQL decides itself instead of taking it from the change handed in. */
export function ownStatuses(file: string, text: string): string[] {
  const out: string[] = [];
  for (const s of [...statements(text, KYSELY_UPDATE), ...statements(text, RAW_UPDATE)]) {
    if (/\bstatus\s*:\s*['"]/.test(s) || /\bstatus\s*=\s*'/.test(s)) out.push(`${file} writes a status literal: take it from the change (\`to\`)`);
    if (/\bstatus\s*(?:=|in|IN)\s*\(?\s*'/.test(s.replace(/\bset\b[^]*?\bwhere\b/i, ''))) out.push(`${file} names the statuses it starts from: take them from the change (\`from\`)`);
    if (/\boutcome\s*(?::|=)\s*['"](?!running\b)/.test(s)) out.push(`${file} writes an attempt outcome literal: take it from the change (\`attemptOutcome\`)`);
  }
  return out;
}

describe('run status writes', () => {
  it('only the run state machine writes a run status', () => {
    for (const f of [...STATE_MACHINE, ...DIALECT_QUERIES]) assert.ok(existsSync(join(SRC, f)), `${f} is gone: update this test's lists`);
    const files = globSync('**/*.ts', { cwd: SRC }).filter((f) => !STATE_MACHINE.includes(f) && !DIALECT_QUERIES.includes(f));
    assert.ok(files.length > 50, `found only ${files.length} files under ${SRC}`);
    assert.deepEqual(files.flatMap((f) => statusWrites(f, readFileSync(join(SRC, f), 'utf8'))), []);
  });

  it("the dialects' set-wise transitions take every status from the state machine", () => {
    const found = DIALECT_QUERIES.flatMap((f) => {
      const text = readFileSync(join(SRC, f), 'utf8');
      assert.ok(statusWrites(f, text).length > 0, `${f} writes no status any more: drop it from DIALECT_QUERIES`);
      return ownStatuses(f, text);
    });
    assert.deepEqual(found, []);
  });

  it('catches a status set, spread or inserted outside the module, and a dialect deciding a status itself', () => {
    const kysely = "await ctx.trx.updateTable('runs').set({ status: 'failed' }).where('id', '=', id).execute();";
    const spread = "await ctx.trx.updateTable('runs').set({ ...changes, updated_at: now }).where('id', '=', id).execute();";
    const lastSeq = "await ctx.trx.updateTable('runs').set((eb) => ({ last_seq: eb('last_seq', '+', 1) })).where('status', 'in', ['running']).execute();";
    const raw = 'const text = `update runs as r set status = ${to}, last_seq = r.last_seq + 1 where r.id = $1`;';
    const insert = "await ctx.queries.insertRows(ctx.trx, 'runs', RUN_COLUMNS, rows);";
    assert.equal(statusWrites('x.ts', kysely).length, 1);
    assert.match(statusWrites('x.ts', spread)[0], /spreads an object/);
    assert.deepEqual(statusWrites('x.ts', lastSeq), [], 'a status in the WHERE is not a write');
    assert.equal(statusWrites('x.ts', raw).length, 1);
    assert.match(statusWrites('x.ts', insert)[0], /inserts runs/);
    assert.deepEqual(statusWrites('x.ts', "insertRows(trx, 'run_attempts', COLUMNS, rows)"), []);
    const own = ownStatuses('q.ts', "const t = `update runs as r set status = 'running' where r.id = v.id and r.status = 'queued'`;");
    assert.ok(own.some((l) => l.includes('status literal')) && own.some((l) => l.includes('statuses it starts from')), own.join('\n'));
    assert.deepEqual(ownStatuses('q.ts', 'const t = `update runs as r set status = ${statusLiteral(to)} where r.id = v.id and ${statusCondition(\'r.status\', from)}`;'), []);
  });
});
