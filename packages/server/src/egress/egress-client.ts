import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { connectHost, EgressPolicy, EgressRefusedError, isAddressLiteral } from './egress-policy.ts';

/** A streamed exchange (`EgressClient.open`): the caller reads, caps and closes the body. */
export interface EgressStreamRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Ends every hop (lookups, connects, the body being read); the caller's time cap. */
  signal: AbortSignal;
  /** Redirects followed, each re-checked. Default 5; 0 answers the 3xx as it is. */
  maxRedirects?: number;
  /** Called with each hop's URL before it is connected, after the policy's checks: throws to refuse it. */
  checkHop?: (url: URL) => void;
  /** More headers (beside authorization and cookies) dropped when a redirect leaves the origin: secrets. */
  originHeaders?: readonly string[];
}

export interface EgressStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Read it, or destroy it; it is destroyed when the signal aborts. */
  body: IncomingMessage;
  url: string;
  remoteAddress: string;
}

/** A resolved address, as `dns.lookup(…, { all: true })` gives it. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Name → addresses. Default: the system resolver (`dns.lookup`, so /etc/hosts counts too). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface EgressRequest {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The whole exchange (every hop: lookups, connects, TLS, the answer) must end within this. */
  timeoutMs: number;
  /** Redirects followed, each re-checked. Default 5; 0 answers the 3xx as it is. */
  maxRedirects?: number;
  /** Bytes of the answer's body kept; the rest is read and dropped. Default 64 KiB. */
  maxResponseBytes?: number;
}

export interface EgressResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body was longer than maxResponseBytes. */
  truncated: boolean;
  /** The URL that answered (after redirects). */
  url: string;
  /** The address that answered: the one the policy checked. */
  remoteAddress: string;
}

export interface EgressClientOptions {
  policy: EgressPolicy;
  /** Tests resolve made-up names (a name that resolves to loopback) without DNS. */
  resolve?: Resolver;
  /** Default `agentd`. */
  userAgent?: string;
  /** Most sockets kept open per origin. Default 16. */
  maxSocketsPerHost?: number;
}

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_REDIRECTS = 5;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
/** Headers that belong to one origin and are not carried to another on a redirect (as fetch does). */
const ORIGIN_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Outbound HTTP that can only reach what the policy allows, checked on the address each socket
 * actually connects to:
 * - an address literal is checked before connecting (Node connects to it without a lookup);
 * - a name is resolved by this client's own `lookup` hook, which hands the socket only the
 *   addresses the policy allows: the check and the connect use the same answer, so a name that
 *   changes its answer between them (DNS rebinding) cannot slip through;
 * - every connected socket's remote address is checked once more before a byte is written;
 * - redirects are followed here, hop by hop, each hop checked like the first.
 * Keep-alive sockets are pooled per origin; a pooled socket was checked when it connected.
 */
export class EgressClient {
  readonly policy: EgressPolicy;
  readonly #resolve: Resolver;
  readonly #userAgent: string;
  readonly #http: http.Agent;
  readonly #https: https.Agent;

  constructor(opts: EgressClientOptions) {
    this.policy = opts.policy;
    this.#resolve = opts.resolve ?? systemResolver;
    this.#userAgent = opts.userAgent ?? 'agentd';
    const maxSockets = opts.maxSocketsPerHost ?? 16;
    this.#http = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: 4, scheduling: 'lifo' });
    this.#https = new https.Agent({ keepAlive: true, maxSockets, maxFreeSockets: 4, scheduling: 'lifo' });
  }

  /**
   * What the policy says of a URL before anything is sent (a subscription being created): the
   * scheme, an address literal, and every address the name resolves to now. A name that does not
   * resolve is let through: it is checked again, as always, when a connection is made.
   */
  async check(rawUrl: string): Promise<void> {
    const url = parseUrl(rawUrl);
    this.policy.checkUrl(url);
    if (isAddressLiteral(url.hostname) || this.policy.allowsHost(url.hostname)) return;
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.#resolve(url.hostname);
    } catch {
      return;
    }
    this.#allowed(url.hostname, addresses);
  }

  async request(req: EgressRequest): Promise<EgressResponse> {
    const deadline = Date.now() + req.timeoutMs;
    const maxRedirects = req.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    let url = parseUrl(req.url);
    let method = req.method;
    let body = req.body;
    let headers: Record<string, string> = { 'user-agent': this.#userAgent, ...req.headers };
    for (let hop = 0; ; hop++) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${req.timeoutMs} ms`);
      const res = await this.#once(url, method, headers, body, left, req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, req.timeoutMs);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.status) || !location || maxRedirects === 0) return res;
      if (hop >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects (last to ${location})`);
      const next = parseUrl(location, url);
      if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !ORIGIN_HEADERS.includes(k.toLowerCase())));
      // What fetch does: 303 (and 301/302 of a POST) continue as a GET without the body.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !['content-type', 'content-length'].includes(k.toLowerCase())));
      }
      url = next;
    }
  }

  /**
   * Like `request`, but the answer's body is a stream the caller reads (an MCP server's SSE
   * answer, an HTTP tool's reply it caps itself). Each hop is checked as in `request`, and by
   * `checkHop` too (an HTTP tool's host allowlist).
   */
  async open(req: EgressStreamRequest): Promise<EgressStream> {
    const maxRedirects = req.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    const dropped = [...ORIGIN_HEADERS, ...(req.originHeaders ?? []).map((h) => h.toLowerCase())];
    let url = parseUrl(req.url);
    let method = req.method;
    let body = req.body;
    let headers: Record<string, string> = { 'user-agent': this.#userAgent, ...req.headers };
    for (let hop = 0; ; hop++) {
      req.signal.throwIfAborted();
      this.policy.checkUrl(url);
      req.checkHop?.(url);
      const res = await this.#connect(url, method, headers, body, req.signal);
      const location = res.headers.location;
      const status = res.statusCode ?? 0;
      if (!REDIRECTS.has(status) || !location || maxRedirects === 0) return { status, headers: res.headers, body: res, url: url.toString(), remoteAddress: res.socket?.remoteAddress ?? '' };
      res.resume();
      if (hop >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects (last to ${location})`);
      const next = parseUrl(location, url);
      if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !dropped.includes(k.toLowerCase())));
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !['content-type', 'content-length'].includes(k.toLowerCase())));
      }
      url = next;
    }
  }

  /** One hop of `open`: the answer once its headers arrived from a socket the policy allowed. */
  #connect(url: URL, method: string, headers: Record<string, string>, body: string | Buffer | undefined, signal: AbortSignal): Promise<IncomingMessage> {
    const secure = url.protocol === 'https:';
    return new Promise<IncomingMessage>((resolve, reject) => {
      let answered: IncomingMessage | null = null;
      const abort = () => {
        const why = signal.reason instanceof Error ? signal.reason : new Error('aborted');
        req.destroy(why);
        answered?.destroy(why);
        reject(why);
      };
      const send = { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
      const options: https.RequestOptions = {
        method,
        host: connectHost(url.hostname),
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers: send,
        agent: secure ? this.#https : this.#http,
        lookup: this.#lookup(),
      };
      if (url.username || url.password) options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      const req = (secure ? https : http).request(options, (res) => {
        answered = res;
        res.once('close', () => signal.removeEventListener('abort', abort));
        resolve(res);
      });
      signal.addEventListener('abort', abort, { once: true });
      req.on('error', (err) => {
        signal.removeEventListener('abort', abort);
        reject(err);
      });
      req.on('socket', (socket: Socket) => {
        const verify = () => {
          const why = socket.remoteAddress ? this.policy.refusal(socket.remoteAddress) : 'the socket has no remote address';
          if (why && !this.policy.allowsHost(url.hostname)) req.destroy(new EgressRefusedError(why));
        };
        if (socket.connecting) socket.once('connect', verify);
        else verify();
      });
      if (body !== undefined) req.end(body);
      else req.end();
    });
  }

  /** Closes the pooled sockets (a stopping server). */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }

  /** The addresses of `hostname` the policy allows; throws when it allows none. */
  #allowed(hostname: string, addresses: ResolvedAddress[]): ResolvedAddress[] {
    if (this.policy.allowsHost(hostname)) return addresses;
    const ok = addresses.filter((a) => this.policy.refusal(a.address) === null);
    if (ok.length === 0) {
      const why = addresses.map((a) => this.policy.refusal(a.address)).join('; ');
      throw new EgressRefusedError(addresses.length === 0 ? `${hostname} resolves to no address` : `${hostname} resolves only to refused addresses: ${why}`);
    }
    return ok;
  }

  /** net's `lookup` hook: resolves with this client's resolver and passes on only allowed addresses. */
  #lookup(): LookupFunction {
    return (hostname, options, callback) => {
      this.#resolve(hostname)
        .then((all) => {
          const family = typeof options.family === 'number' ? options.family : 0;
          const ok = this.#allowed(hostname, all).filter((a) => family === 0 || a.family === family);
          if (ok.length === 0) throw new EgressRefusedError(`${hostname} has no allowed IPv${family} address`);
          if (options.all) (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, ok);
          else callback(null, ok[0].address, ok[0].family);
        })
        .catch((err: NodeJS.ErrnoException) => callback(err, '', 0));
    };
  }

  #once(url: URL, method: string, headers: Record<string, string>, body: string | Buffer | undefined, timeoutMs: number, maxBytes: number, totalMs: number): Promise<EgressResponse> {
    this.policy.checkUrl(url);
    const secure = url.protocol === 'https:';
    const host = connectHost(url.hostname);
    return new Promise<EgressResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      const send = { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
      const options: https.RequestOptions = {
        method,
        host,
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers: send,
        agent: secure ? this.#https : this.#http,
        lookup: this.#lookup(),
      };
      if (url.username || url.password) options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      const req = (secure ? https : http).request(options, (res) => {
        const remoteAddress = res.socket.remoteAddress ?? '';
        const chunks: Buffer[] = [];
        let kept = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (kept >= maxBytes) {
            truncated = true;
            return;
          }
          const part = chunk.subarray(0, maxBytes - kept);
          if (part.length < chunk.length) truncated = true;
          chunks.push(part);
          kept += part.length;
        });
        res.on('error', fail);
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated, url: url.toString(), remoteAddress });
        });
      });
      const timer = setTimeout(() => fail(new Error(`timed out after ${totalMs} ms`)), timeoutMs);
      req.on('error', fail);
      req.on('socket', (socket: Socket) => {
        const verify = () => {
          const why = socket.remoteAddress ? this.policy.refusal(socket.remoteAddress) : 'the socket has no remote address';
          if (why && !this.policy.allowsHost(url.hostname)) fail(new EgressRefusedError(why));
        };
        // A pooled socket is connected already (and was checked then); a new one is checked on connect.
        if (socket.connecting) socket.once('connect', verify);
        else verify();
      });
      if (body !== undefined) req.end(body);
      else req.end();
    });
  }
}

function parseUrl(text: string, base?: URL): URL {
  try {
    return new URL(text, base);
  } catch {
    throw new EgressRefusedError(`${JSON.stringify(text.slice(0, 200))} is not a URL`, false);
  }
}
