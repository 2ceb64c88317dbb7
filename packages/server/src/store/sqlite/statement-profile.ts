/**
 * A developer's statement profile for SQLite (`AGENTD_SQLITE_STATEMENT_PROFILE=1`): time spent in
 * each statement, by its SQL text with the value lists folded (`(…)`), printed to stderr at exit,
 * costliest first. Off by default: a production server never pays for it. See bench/README.md.
 */
const profile = new Map<string, { calls: number; micros: number }>();
let reporting = false;

export const statementProfiling = process.env.AGENTD_SQLITE_STATEMENT_PROFILE === '1';

/** `run` timed under the statement's folded text. */
export function profiled<T>(sqlText: string, run: () => T): T {
  const start = process.hrtime.bigint();
  try {
    return run();
  } finally {
    const key = sqlText.replace(/\(\?(, \?)*\)(, \(\?(, \?)*\))*/g, '(…)').replace(/\?(, \?)+/g, '…').slice(0, 200);
    const entry = profile.get(key) ?? { calls: 0, micros: 0 };
    entry.calls++;
    entry.micros += Number(process.hrtime.bigint() - start) / 1000;
    profile.set(key, entry);
    if (!reporting) {
      reporting = true;
      process.once('exit', report);
    }
  }
}

function report(): void {
  const rows = [...profile].sort((a, b) => b[1].micros - a[1].micros).slice(0, 40);
  const total = rows.reduce((n, [, e]) => n + e.micros, 0);
  process.stderr.write(`sqlite statement profile: ${Math.round(total / 1000)} ms in the top ${rows.length}\n`);
  for (const [sql, e] of rows) process.stderr.write(`  ${Math.round(e.micros / 1000)} ms  ${e.calls} calls  ${Math.round(e.micros / e.calls)} µs each  ${sql}\n`);
}
