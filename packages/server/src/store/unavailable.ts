import { isPgTransientConflict, isPgUnavailable } from './postgres/pg-errors.ts';
import { isSqliteUnavailable } from './sqlite/sqlite-errors.ts';

/**
 * The database could not take a write (or a read) for a reason outside the request: it is down,
 * restarting, unreachable, out of disk or read-only. Nothing the request asked for was
 * acknowledged; the same request may succeed once the database is back (503 + Retry-After).
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** True for a StoreUnavailableError and for any raw driver error of that kind, on either dialect. */
export function isStoreUnavailable(err: unknown): boolean {
  return err instanceof StoreUnavailableError || isPgUnavailable(err) || isSqliteUnavailable(err);
}

/** `err` as a StoreUnavailableError when it is one of that kind, else unchanged. */
export function asUnavailable(err: unknown, what: string): unknown {
  if (err instanceof StoreUnavailableError || !isStoreUnavailable(err)) return err;
  return new StoreUnavailableError(`${what}: ${(err as Error).message}`, err);
}

/** A deadlock or serialization failure: the same operation may succeed when run again at once. */
export function isTransientConflict(err: unknown): boolean {
  return isPgTransientConflict(err);
}
