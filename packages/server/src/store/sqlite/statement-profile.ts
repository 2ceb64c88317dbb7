/**
 * A developer's statement profile for SQLite (`AGENTD_SQLITE_STATEMENT_PROFILE=1`): time spent in
 * each statement of a connection, by its SQL text with the value lists folded (`(…)`), printed to
 * stderr when the process exits, costliest first. Off by default: a production server never pays
 * for it. See bench/README.md.
 */
export const statementProfiling = process.env.AGENTD_SQLITE_STATEMENT_PROFILE === '1';

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
      const micros = Number(process.hrtime.bigint() - start) / 1000;
      const key = sqlText.replace(/\(\?(, \?)*\)(, \(\?(, \?)*\))*/g, '(…)').replace(/\?(, \?)+/g, '…').slice(0, 200);
      const entry = this.#entries.get(key) ?? { calls: 0, micros: 0 };
      entry.calls++;
      entry.micros += micros;
      this.#entries.set(key, entry);
    }
  }

  #report(label: string): void {
    if (this.#entries.size === 0) return;
    const rows = [...this.#entries].sort((a, b) => b[1].micros - a[1].micros).slice(0, 40);
    const total = rows.reduce((n, [, e]) => n + e.micros, 0);
    process.stderr.write(`sqlite statement profile (${label} connection): ${Math.round(total / 1000)} ms in the top ${rows.length}\n`);
    for (const [sql, e] of rows) process.stderr.write(`  ${Math.round(e.micros / 1000)} ms  ${e.calls} calls  ${Math.round(e.micros / e.calls)} µs each  ${sql}\n`);
  }
}
