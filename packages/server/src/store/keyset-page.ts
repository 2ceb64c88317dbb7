import { sql, type SelectQueryBuilder } from 'kysely';
import { DomainError } from '../core/index.ts';

/** Opaque list cursor over (time, unique key), newest first. */
export function encodeCursor(time: number, key: string): string {
  return Buffer.from(JSON.stringify([time, key])).toString('base64url');
}

export function decodeCursor(cursor: string): { time: number; key: string } | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'number' && Number.isFinite(v[0]) && typeof v[1] === 'string') return { time: v[0], key: v[1] };
  } catch {
    // fall through: a malformed cursor is the caller's error, reported as VALIDATION_ERROR
  }
  return null;
}

export interface NewestFirstOptions<O> {
  /** A `next_cursor` from the page before, if any. */
  cursor?: string;
  limit: number;
  /** The time column and the column that breaks ties (unique with it), as SQL references. */
  timeColumn: string;
  keyColumn: string;
  /** The same two values of a row, for its cursor. */
  cursorOf: (row: O) => [number, string];
}

/**
 * The one keyset pagination of the list routes: `query` is filtered to the rows past the cursor
 * and ordered; one extra row is fetched to know whether another page exists, and `next_cursor`
 * is the last row's (`cursorOf`), or null on the last page.
 */
export async function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  opts: { limit: number; cursorOf: (row: O) => string },
): Promise<{ rows: O[]; next_cursor: string | null }> {
  const rows = await query.limit(opts.limit + 1).execute();
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  return { rows: page, next_cursor: rows.length > opts.limit && last ? opts.cursorOf(last) : null };
}

/**
 * keysetPage for every list that reads newest first: rows strictly after the opaque cursor in
 * (time, key) descending order. A malformed cursor is a VALIDATION_ERROR on the `cursor` field.
 */
export async function newestFirstPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  opts: NewestFirstOptions<O>,
): Promise<{ rows: O[]; next_cursor: string | null }> {
  let q = query;
  const time = sql.ref(opts.timeColumn);
  const key = sql.ref(opts.keyColumn);
  if (opts.cursor !== undefined) {
    const c = decodeCursor(opts.cursor);
    if (!c) throw new DomainError('VALIDATION_ERROR', 'cursor is malformed', [{ path: 'cursor', message: 'is malformed' }]);
    q = q.where(sql<boolean>`(${time} < ${c.time} OR (${time} = ${c.time} AND ${key} < ${c.key}))`);
  }
  return keysetPage(q.orderBy(time, 'desc').orderBy(key, 'desc'), { limit: opts.limit, cursorOf: (row) => encodeCursor(...opts.cursorOf(row)) });
}
