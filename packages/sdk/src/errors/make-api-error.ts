import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from './api-errors.ts';

type APIErrorClass = typeof APIError;

const BY_STATUS: Record<number, APIErrorClass> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

/**
 * Builds the error for a non-2xx answer. `body` is the raw response text: a proxy in front of the
 * server may answer with HTML or nothing, so a body that is not our error shape still gives an
 * error with the status and the text as its message.
 *
 * @example
 * if (!response.ok) throw makeAPIError(response.status, await response.text(), response.headers);
 */
export function makeAPIError(status: number, bodyText: string, headers: Headers): APIError {
  const parsed = parseErrorBody(bodyText);
  const requestId = parsed?.request_id ?? headers.get('x-request-id') ?? undefined;
  const message = parsed?.message ?? (bodyText.trim().slice(0, 500) || `HTTP ${status}`);
  const ErrorClass = BY_STATUS[status] ?? (status >= 500 ? InternalServerError : APIError);
  return new ErrorClass({ status, code: parsed?.code, message: `${status} ${message}`, details: parsed?.details, requestId, headers });
}

interface ParsedErrorBody {
  code?: string;
  message?: string;
  details?: unknown;
  request_id?: string;
}

function parseErrorBody(text: string): ParsedErrorBody | undefined {
  if (!text) return undefined;
  try {
    const body = JSON.parse(text) as { error?: unknown };
    const error = body?.error;
    if (!error || typeof error !== 'object') return undefined;
    const e = error as Record<string, unknown>;
    return {
      code: typeof e.code === 'string' ? e.code : undefined,
      message: typeof e.message === 'string' ? e.message : undefined,
      details: e.details,
      request_id: typeof e.request_id === 'string' ? e.request_id : undefined,
    };
  } catch {
    // Not JSON (an HTML error page from a proxy, say): the caller falls back to the raw text.
    return undefined;
  }
}
