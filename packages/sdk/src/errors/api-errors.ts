/**
 * The SDK's error hierarchy, shaped like openai-node's: catch `APIError` for anything the server
 * answered, a status subclass for one kind of answer, `APIConnectionError` for "never got one".
 */

/** Base of every error the SDK throws on purpose. */
export class AgentdError extends Error {
  override name = 'AgentdError';
}

/**
 * The server answered with an error body (`{"error":{"code","message","details","request_id"}}`),
 * or no answer came at all (then `status` is undefined: see `APIConnectionError`).
 *
 * @example
 * try { await client.runs.retrieve('run_missing'); }
 * catch (err) { if (err instanceof APIError && err.code === 'RUN_NOT_FOUND') console.log(err.requestId); }
 */
export class APIError extends AgentdError {
  override name = 'APIError';
  /** HTTP status; undefined when the request never got an answer. */
  readonly status: number | undefined;
  /** Stable UPPER_SNAKE code from the error body (see `ERROR_CODES` in `@agentd/protocol`). */
  readonly code: string | undefined;
  /** Machine-readable details, e.g. `[{path, message}]` for validation errors. */
  readonly details: unknown;
  /** The server's request id (`X-Request-Id`), to find the request in its logs. */
  readonly requestId: string | undefined;
  readonly headers: Headers | undefined;

  /** Every field but `message` may be absent: a request that got no answer has no status, code or headers. */
  constructor(init: { message: string; status?: number; code?: string; details?: unknown; requestId?: string; headers?: Headers; cause?: unknown }) {
    super(init.message, 'cause' in init ? { cause: init.cause } : undefined);
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId;
    this.headers = init.headers;
  }
}

export class BadRequestError extends APIError {
  override name = 'BadRequestError';
}
export class AuthenticationError extends APIError {
  override name = 'AuthenticationError';
}
export class PermissionDeniedError extends APIError {
  override name = 'PermissionDeniedError';
}
export class NotFoundError extends APIError {
  override name = 'NotFoundError';
}
export class ConflictError extends APIError {
  override name = 'ConflictError';
}
export class UnprocessableEntityError extends APIError {
  override name = 'UnprocessableEntityError';
}
export class RateLimitError extends APIError {
  override name = 'RateLimitError';
}
export class InternalServerError extends APIError {
  override name = 'InternalServerError';
}

/** The request never got an answer: DNS, refused or reset connection, or a broken body. */
export class APIConnectionError extends APIError {
  override name = 'APIConnectionError';
  constructor(options: { message?: string; cause?: unknown } = {}) {
    super({ message: options.message ?? 'Connection error.', cause: options.cause });
  }
}

/** The request did not finish within its `timeout`. Retried like a connection error. */
export class APIConnectionTimeoutError extends APIConnectionError {
  override name = 'APIConnectionTimeoutError';
  constructor(options: { message?: string; cause?: unknown } = {}) {
    super({ message: options.message ?? 'Request timed out.', cause: options.cause });
  }
}

/** The caller's `signal` aborted the request. Never retried. */
export class APIUserAbortError extends APIError {
  override name = 'APIUserAbortError';
  constructor(options: { message?: string; cause?: unknown } = {}) {
    super({ message: options.message ?? 'Request was aborted.', cause: options.cause });
  }
}
