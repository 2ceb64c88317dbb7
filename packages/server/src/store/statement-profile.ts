/**
 * A developer's statement profile (`AGENTD_SQLITE_STATEMENT_PROFILE=1`,
 * `AGENTD_PG_STATEMENT_PROFILE=1`): time spent in each statement, by its SQL text with the value
 * lists folded (`(…)`), printed to stderr when the process exits, costliest first. On SQLite the
 * time a statement takes on the server's thread; on PostgreSQL from the query's send to its
 * answer (the round trip included; statements of different connections overlap). Off by
 * default: a production server never pays for it. See bench/README.md.
 */
export const sqliteStatementProfiling = process.env.AGENTD_SQLITE_STATEMENT_PROFILE === '1';
export const pgStatementProfiling = process.env.AGENTD_PG_STATEMENT_PROFILE === '1';

/** The text with its value lists folded (`(?, ?), (+?, +?)` and `($1, $2)` become `(…)`), on one line. */
const fold = (sqlText: string): string =>
  sqlText
    .replace(/\((?:\+?\?|\$\d+)(?:, (?:\+?\?|\$\d+))*\)(?:, \((?:\+?\?|\$\d+)(?:, (?:\+?\?|\$\d+))*\))*/g, '(…)')
    .replace(/(?:\+?\?|\$\d+)(?:, (?:\+?\?|\$\d+))+/g, '…')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);

export class StatementProfile {
  readonly #entries = new Map<string, { calls: number; micros: number }>();

  constructor(label: string) {
    process.once('exit', () => this.#report(label));
  }

  /** `run` timed under the statement's folded text. */
  time<T>(sqlText: string, run: () => T): T {
    const start = process.hrtime.bigint();
    try {
      return run();
    } finally {
      // The statement alone is timed: folding a long text is not its cost.
      this.add(sqlText, Number(process.hrtime.bigint() - start) / 1000);
    }
  }

  /** `promise` (a query in flight) timed until it settles. */
  timeAsync<T>(sqlText: string, promise: Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    const done = () => this.add(sqlText, Number(process.hrtime.bigint() - start) / 1000);
    promise.then(done, done);
    return promise;
  }

  add(sqlText: string, micros: number): void {
    const key = fold(sqlText);
    const entry = this.#entries.get(key) ?? { calls: 0, micros: 0 };
    entry.calls++;
    entry.micros += micros;
    this.#entries.set(key, entry);
  }

  #report(label: string): void {
    if (this.#entries.size === 0) return;
    const rows = [...this.#entries].sort((a, b) => b[1].micros - a[1].micros).slice(0, 40);
    const total = rows.reduce((n, [, e]) => n + e.micros, 0);
    process.stderr.write(`statement profile (${label}): ${Math.round(total / 1000)} ms in the top ${rows.length}\n`);
    for (const [sql, e] of rows) process.stderr.write(`  ${Math.round(e.micros / 1000)} ms  ${e.calls} calls  ${Math.round(e.micros / e.calls)} µs each  ${sql}\n`);
  }
}
