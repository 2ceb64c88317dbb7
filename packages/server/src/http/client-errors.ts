import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_CODES, type ErrorCode } from '@agentd/protocol';
import type { IdGenerator } from '../core/index.ts';

/** Node's parser and timeout errors, by code, as ours. Anything else the parser rejects is a 400. */
const CLIENT_ERROR_CODES: Record<string, ErrorCode> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
};

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  REQUEST_TIMEOUT: 'the request (headers or body) did not arrive in time',
  HEADERS_TOO_LARGE: 'the request headers are larger than the server accepts',
  BAD_REQUEST: 'the HTTP request could not be parsed',
};

type ClientErrorHandler = (this: { log: { debug(obj: object, msg: string): void } }, err: NodeJS.ErrnoException, socket: Socket) => void;

/**
 * Fastify's `clientErrorHandler`: errors Node raises before any request object exists (a
 * malformed request line, headers over the limit, the header or request timeout) answer with
 * the one error body, as raw bytes on the socket, and the socket is closed. Nothing is written
 * when a response is already under way on this socket: a status line in its middle would corrupt it.
 * `ids` makes the request id the body and `X-Request-Id` carry (the app's, as for every request).
 */
export function clientErrorHandler(ids: IdGenerator): ClientErrorHandler {
  return function (err, socket) {
    answerClientError(this, ids, err, socket);
  };
}

function answerClientError(server: ThisParameterType<ClientErrorHandler>, ids: IdGenerator, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode = (err.code && CLIENT_ERROR_CODES[err.code]) || 'BAD_REQUEST';
  server.log.debug({ code: err.code, remote: socket.remoteAddress }, `client error: ${code}`);
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const status = ERROR_CODES[code].status;
    const requestId = ids.next('req', Date.now());
    const body = JSON.stringify({ error: { code, message: MESSAGES[code], details: null, request_id: requestId } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
