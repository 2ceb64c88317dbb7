import { ERROR_CODES, type ErrorCode, type FieldProblem } from '@agentd/protocol';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isStoreUnavailable } from '../store/index.ts';
import { DomainError } from '../core/index.ts';

/** An error the API answers with on purpose. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, details: unknown = null, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export function statusOf(code: string): number {
  return (ERROR_CODES as Record<string, { status: number }>)[code]?.status ?? 500;
}

export function sendError(reply: FastifyReply, request: FastifyRequest, code: string, message: string, details: unknown = null): FastifyReply {
  return reply
    .code(statusOf(code))
    .header('content-type', 'application/json; charset=utf-8')
    .send({ error: { code, message, details, request_id: request.id } });
}

/** Fastify's ajv errors as field problems: `body.input.name`, `query.limit`. */
function validationProblems(err: FastifyError): FieldProblem[] {
  const context = (err as FastifyError & { validationContext?: string }).validationContext ?? 'body';
  return (err.validation ?? []).map((v) => {
    const parts = v.instancePath.split('/').slice(1);
    const params = v.params as Record<string, unknown>;
    if (v.keyword === 'required' && params.missingProperty) parts.push(String(params.missingProperty));
    if (v.keyword === 'additionalProperties' && params.additionalProperty) {
      return { path: [context, ...parts, String(params.additionalProperty)].join('.'), message: 'is not allowed' };
    }
    return { path: [context, ...parts].join('.'), message: v.message ?? 'is invalid' };
  });
}

/** Fastify's own errors, by code, mapped to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_ERROR',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

/**
 * Seconds a client should wait before retrying a request that failed because the database was
 * unavailable: a PostgreSQL restart or a freed disk takes a few seconds to be noticed.
 */
export const UNAVAILABLE_RETRY_AFTER_S = 2;

/** The one error handler: everything leaves as `{"error":{code,message,details,request_id}}`. */
export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    return sendError(reply, request, err.code, err.message, err.details);
  }
  if (err instanceof DomainError) return sendError(reply, request, err.code, err.message, err.details);
  if (isStoreUnavailable(err)) {
    // Nothing was acknowledged; the same request (same Idempotency-Key) can be sent again. The
    // driver's message is logged, not sent: it may name hosts, files or users.
    request.log.warn({ err }, 'database unavailable');
    reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
    return sendError(reply, request, 'UNAVAILABLE', 'the database is unavailable; retry later', null);
  }
  const fe = err as FastifyError;
  if (fe.validation) return sendError(reply, request, 'VALIDATION_ERROR', 'the request does not match the schema', validationProblems(fe));
  if (fe.code && FASTIFY_CODES[fe.code]) return sendError(reply, request, FASTIFY_CODES[fe.code], fe.message);
  if (err instanceof SyntaxError || (fe.statusCode === 400 && /JSON|prototype|constructor/i.test(fe.message))) {
    return sendError(reply, request, 'INVALID_JSON', 'the body is not acceptable JSON', null);
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode = fe.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : fe.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION_ERROR';
    return sendError(reply, request, code, fe.message);
  }
  // Never echo an unexpected error's message: it may hold internals. The request id finds it in the log.
  request.log.error({ err }, 'unhandled error');
  return sendError(reply, request, 'INTERNAL', 'internal server error', null);
}
