import type { FastifyRequest } from 'fastify';

/** A decision link's token is a credential that travels in the path (`/v1/approval-links/<token>`). */
const LINK_TOKEN = /^(\/v1\/approval-links\/)[^/?#]+/;

/** The request as the log shows it: Fastify's default fields, with a link token replaced. Never a header. */
function logRequest(req: FastifyRequest) {
  return {
    method: req.method,
    url: req.url.replace(LINK_TOKEN, '$1[redacted]'),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket ? req.socket.remotePort : undefined,
  };
}

/** Fastify's logger option with the request serializer that keeps credentials out of the log. */
export function loggerOptions(logger: boolean | Record<string, unknown>): boolean | Record<string, unknown> {
  if (logger === false) return false;
  const options = logger === true ? {} : logger;
  return { ...options, serializers: { ...(options.serializers as Record<string, unknown> | undefined), req: logRequest } };
}
