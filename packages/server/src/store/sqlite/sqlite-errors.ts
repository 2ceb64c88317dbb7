/**
 * Which SQLite (node:sqlite) and file-system errors mean "the database file cannot be written
 * right now" — disk full, read-only file system, I/O error, locked by another process — rather
 * than "this statement is wrong". They are answered 503 with Retry-After.
 */

/** Primary result codes (the low byte of an extended code). */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_NOMEM = 7;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_PROTOCOL = 15;
const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_PROTOCOL]);

/** What fsync of the WAL (see wal-sync.ts) fails with when the disk does. */
const FS_CODES: ReadonlySet<string> = new Set(['EIO', 'ENOSPC', 'EROFS', 'EDQUOT', 'EFBIG']);

export function isSqliteUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as { code?: unknown; errcode?: unknown };
  if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') return UNAVAILABLE_CODES.has(e.errcode & 0xff);
  return typeof e.code === 'string' && FS_CODES.has(e.code);
}
