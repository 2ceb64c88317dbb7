/**
 * Which PostgreSQL client errors mean "the database cannot be used right now" (it is down,
 * restarting, out of disk or read-only) rather than "this statement is wrong": the first kind
 * is answered 503 with Retry-After, and goes away by itself when the server comes back.
 */

/** SQLSTATE classes: 08 connection exception, 53 insufficient resources (53100 disk full), 58 system error (58030 I/O). */
const UNAVAILABLE_CLASSES: ReadonlySet<string> = new Set(['08', '53', '58']);
/** 57P01 admin shutdown (`pg_ctl stop`), 57P02 crash shutdown, 57P03 starting up, 25006 read-only transaction (a standby). */
const UNAVAILABLE_STATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '25006']);
/** Socket errors of the client's own connection attempt or of a connection that broke. */
const SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** What node-postgres and pg-pool throw, with no code, when a connection ended or never came. */
const CLIENT_MESSAGES = /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect|Cannot use a pool after calling end)/;

export function isPgUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || UNAVAILABLE_STATES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_CLASSES.has(code.slice(0, 2))) return true;
  }
  // Node reports a refused connection to every address of a name as one AggregateError.
  if (err instanceof AggregateError && err.errors.some(isPgUnavailable)) return true;
  return CLIENT_MESSAGES.test(err.message);
}

/** 40P01 deadlock detected, 40001 serialization failure: PostgreSQL chose this statement as the victim. */
export function isPgTransientConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}
