import type { ErrorCode } from '@agentd/protocol';

/**
 * An error a service or the store throws on purpose (not found, conflict, a lease lost…), with
 * a code from the one registry (`ERROR_CODES` in @agentd/protocol), so a misspelt code fails the
 * typecheck instead of reaching a client as an undocumented code. The HTTP error handler answers
 * it with the registry's status and `{code, message, details}` as they are.
 *
 * Thrown inside a write operation, at any point: the operation runs in a savepoint of its own,
 * so whatever it wrote before throwing is rolled back with it, events included, and the rest of
 * the batch commits without it (as it does for any error).
 *
 * It lives in core/, not in protocol: it is the server's throwable (the store throws it, and
 * store/ may use only core/), while protocol holds data only and the SDK has its own error tree
 * built from the same error body.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  /** The error body's `details` (field problems, the recorded decision…). */
  readonly details: unknown;
  // Positional on purpose: (code, message, details) is the error body, field for field.
  constructor(code: ErrorCode, message: string, details: unknown = null) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}
