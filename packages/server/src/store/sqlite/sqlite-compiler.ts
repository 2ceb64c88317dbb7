import { SqliteQueryCompiler } from 'kysely';

/**
 * Kysely's SQLite compiler, with each parameter written `+?` instead of `?`.
 *
 * SQLite (3.54, as bundled with Node) recompiles a statement on every execution when a bare
 * parameter in it may steer the plan. Found by experiment: an equality `col = ?` beside an
 * ORDER BY or a join, or `LIMIT ?` (WHERE-clause constant propagation, presumably). Such a
 * statement is marked to be prepared again whenever its bindings change, and node:sqlite clears
 * and rebinds them on every call. So every list page, event page, lease-candidates read and sweep
 * was parsed and planned anew each time: 6–16 µs (a `select *` of runs) where the prepared
 * statement takes 0.3–0.5 µs, and 60–250 µs under load (test/sqlite-reprepare.test.ts). SQLite's
 * unary `+` is a no-op on any value (text stays text) and keeps the term usable by an index, but
 * the parameter is no longer a bare one, so the statement is prepared once.
 */
export class AgentdSqliteQueryCompiler extends SqliteQueryCompiler {
  protected override getCurrentParameterPlaceholder(): string {
    return '+?';
  }
}
