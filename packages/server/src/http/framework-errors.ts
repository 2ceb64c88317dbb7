import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.ts';

/**
 * Fastify's router answers a malformed URL (`%zz`) and an over-long path parameter before any
 * route or hook runs, with a body of its own; this puts them in the one error body.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('x-request-id', request.id);
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendError(reply, request, 'URI_TOO_LONG', 'a path parameter is longer than the server accepts');
  if (err.code === 'FST_ERR_BAD_URL') return sendError(reply, request, 'BAD_REQUEST', 'the URL is not validly percent-encoded');
  request.log.error({ err }, 'router error');
  return sendError(reply, request, 'INTERNAL', 'internal server error');
}
