import { sql, type Kysely } from 'kysely';
import type { Database } from './db-types.ts';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/**
 * Applies forward-only migrations in order, each in its own transaction, recording them in
 * `agentd_migrations`. `lock` serialises concurrent starters (an advisory lock on PostgreSQL,
 * so several nodes starting at once do not race).
 */
export async function migrate(
  db: Kysely<Database>,
  migrations: Migration[],
  lock: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<number[]> {
  return lock(async () => {
    await sql`CREATE TABLE IF NOT EXISTS agentd_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`.execute(db);
    const done = await sql<{ id: number }>`SELECT id FROM agentd_migrations`.execute(db);
    const applied = new Set(done.rows.map((r) => Number(r.id)));
    const ran: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (applied.has(m.id)) continue;
      await db.transaction().execute(async (trx) => {
        for (const statement of splitStatements(m.sql)) await sql.raw(statement).execute(trx);
        await sql`INSERT INTO agentd_migrations (id, name, applied_at) VALUES (${m.id}, ${m.name}, ${new Date().toISOString()})`.execute(trx);
      });
      ran.push(m.id);
    }
    return ran;
  });
}

/** Our migrations hold no semicolons inside literals, so a split on `;` at line end is exact. */
function splitStatements(text: string): string[] {
  return text
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
