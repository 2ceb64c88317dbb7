import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '@agentd/protocol';
import { newId } from '../core/index.ts';
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

/** The answer to a request Node's HTTP parser refused, by the parser's error code. */
function clientErrorAnswer(code: string | undefined): [number, ErrorCode, string] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'REQUEST_TIMEOUT', 'the request was not received in time'];
  return [400, 'BAD_REQUEST', 'the HTTP request is malformed'];
}

/**
 * Node's `clientError`: the request never became a Fastify request (bad request line, invalid
 * header, headers too large, request timeout). Answered in the one error body, then closed.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  // A reset socket is gone: there is no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  // A response already started on this socket cannot be followed by another one.
  if (socket.writable && !inFlight?.headersSent) {
    const [status, code, message] = clientErrorAnswer(err.code);
    const body = JSON.stringify({ error: { code, message, details: null, request_id: newId('req') } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
