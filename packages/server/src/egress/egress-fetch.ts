import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { EgressClient } from './egress-client.ts';

/** An answer's body grew past the cap: the exchange was cut there. */
export class ReplyTooLargeError extends Error {
  readonly code = 'TOOL_REPLY_TOO_LARGE';
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`the reply is larger than ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
    this.name = 'ReplyTooLargeError';
  }
}

export interface EgressFetchOptions {
  /** Bytes of one answer's body read before the exchange is cut with ReplyTooLargeError. */
  maxResponseBytes: number;
  /** Ends every exchange of this fetch (the tool call's time cap and the run's cancel). */
  signal?: AbortSignal;
  /** Each hop's URL, before it is connected: throws to refuse it (see EgressClient.open). */
  checkHop?: (url: URL) => void;
  /** Headers dropped when a redirect leaves the origin (the secrets this fetch adds). */
  originHeaders?: readonly string[];
}

type FetchInput = string | URL | Request;

/** Statuses whose Response may not have a body. */
const NULL_BODY: ReadonlySet<number> = new Set([101, 204, 205, 304]);

/**
 * A `fetch` (as the MCP SDK's transports take one) whose every connection goes through the egress
 * client: the policy is checked on the address each socket connects to, redirects are followed
 * and re-checked hop by hop (`redirect: 'manual'` answers the 3xx as it is), and an answer's body
 * is cut at `maxResponseBytes` (a 50 MB or endless reply costs the cap, not the memory).
 */
export function egressFetch(client: EgressClient, opts: EgressFetchOptions): (input: FetchInput, init?: RequestInit) => Promise<Response> {
  return async (input, init = {}) => {
    const url = input instanceof Request ? input.url : input.toString();
    const headers: Record<string, string> = {};
    new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined)).forEach((value, key) => {
      headers[key] = value;
    });
    const signals = [init.signal, opts.signal].filter((s): s is AbortSignal => s != null);
    const signal = signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const answer = await client.open({
      url,
      method: (init.method ?? 'GET').toUpperCase(),
      headers,
      body: await bodyOf(init.body),
      signal,
      maxRedirects: init.redirect === 'manual' || init.redirect === 'error' ? 0 : undefined,
      checkHop: opts.checkHop,
      originHeaders: opts.originHeaders,
    });
    const status = answer.status;
    if (NULL_BODY.has(status) || (init.method ?? 'GET').toUpperCase() === 'HEAD') {
      answer.body.resume();
      return new Response(null, { status, headers: toHeaders(answer.headers) });
    }
    let read = 0;
    answer.body.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > opts.maxResponseBytes) answer.body.destroy(new ReplyTooLargeError(opts.maxResponseBytes));
    });
    const body = Readable.toWeb(answer.body) as ReadableStream<Uint8Array>;
    const res = new Response(body, { status, statusText: answer.body.statusMessage, headers: toHeaders(answer.headers) });
    Object.defineProperty(res, 'url', { value: answer.url });
    return res;
  };
}

async function bodyOf(body: RequestInit['body']): Promise<string | Buffer | undefined> {
  if (body == null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(await new Response(body).arrayBuffer());
}

function toHeaders(from: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(from)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
  }
  return out;
}
