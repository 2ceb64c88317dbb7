import { DomainError } from '../core/index.ts';
import { egressFetch, type EgressClient } from '../egress/index.ts';
import type { ToolCallRequest, ToolOutcome, ToolRunner } from './tool.ts';
import { argsValidator, capSignal, DEFAULT_TOOL_CAPS, outcomeOfError, redact, toolError, type ToolCaps } from './tool-caps.ts';

/** A header an `http_fetch` tool adds from a vault secret the agent is granted. */
export interface SecretHeader {
  name: string;
  /** The vault secret's name. */
  secret: string;
  /** Put before the value (`Bearer `). Default none. */
  prefix?: string;
}

export interface HttpFetchToolOptions {
  /**
   * The hosts a call may reach, on every hop: `api.example.com` (exactly) or `*.example.com`
   * (any name under it). The egress policy still applies to the addresses they resolve to.
   */
  allow: readonly string[];
  headers?: readonly SecretHeader[];
  /** What the model calls it. Default `http_fetch`. */
  name?: string;
  caps?: Partial<ToolCaps>;
}

/** A host name, `*.` and a name, an IPv4 address or a bracket-less IPv6 address. */
const HOST_ENTRY = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^[0-9a-f:.]+$/;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

/** Headers a model may not set: the transport's own, and what would talk past the allowlist. */
const RESERVED: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'proxy-authorization', 'te', 'trailer', 'keep-alive']);

const INPUT_SCHEMA = {
  type: 'object',
  properties: {
    url: { type: 'string', description: 'An http or https URL on one of the allowed hosts.' },
    method: { type: 'string', enum: [...METHODS], description: 'Default GET.' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Request headers.' },
    body: { type: 'string', description: 'The request body (with POST, PUT, PATCH).' },
  },
  required: ['url'],
  additionalProperties: false,
} as const;

interface FetchArgs {
  url: string;
  method?: (typeof METHODS)[number];
  headers?: Record<string, string>;
  body?: string;
}

/**
 * The `http_fetch` tool (TESTPLAN 25, 28): a URL on an allowed host, fetched through the egress
 * client (the policy judges the address each socket connects to; redirects are followed hop by
 * hop, each hop checked against both the policy and `allow`), its reply cut at the byte cap and
 * the call at the time cap. Secret headers come from `req.secret` (the agent's grants), are sent
 * to allowed hosts only, dropped when a redirect changes origin, and redacted from the outcome.
 */
export function httpFetchTool(egress: EgressClient, opts: HttpFetchToolOptions): ToolRunner {
  const caps: ToolCaps = { ...DEFAULT_TOOL_CAPS, ...opts.caps };
  const allow = opts.allow.map((h) => bare(h.trim().toLowerCase())).filter(Boolean);
  if (allow.length === 0) throw new DomainError('VALIDATION_ERROR', 'http_fetch needs at least one allowed host');
  const bad = allow.find((h) => !HOST_ENTRY.test(h));
  if (bad !== undefined) throw new DomainError('VALIDATION_ERROR', `http_fetch allows host names (api.example.com, *.example.com) or addresses, without a scheme, port or path: ${JSON.stringify(bad)} is not one`);
  const secretHeaders = opts.headers ?? [];
  const validate = argsValidator(INPUT_SCHEMA);
  const allowed = (host: string) => {
    const h = bare(host.toLowerCase()).replace(/\.$/, '');
    return allow.some((a) => (a.startsWith('*.') ? h.endsWith(a.slice(1)) : h === a));
  };
  const checkHop = (url: URL) => {
    if (!allowed(url.hostname)) throw new HostNotAllowedError(url.hostname, allow);
  };
  return {
    spec: {
      name: opts.name ?? 'http_fetch',
      description: `Fetches an http(s) URL and returns its status and body (text, at most ${caps.maxReplyBytes} bytes). Only these hosts can be reached: ${allow.join(', ')}.`,
      inputSchema: INPUT_SCHEMA as unknown as Record<string, unknown>,
      idempotent: false,
    },
    async call(req: ToolCallRequest): Promise<ToolOutcome> {
      const invalid = validate(req.args);
      if (invalid) return invalid;
      const args = req.args as FetchArgs;
      let target: URL;
      try {
        target = new URL(args.url);
      } catch {
        return toolError('TOOL_ARGUMENTS_INVALID', `${JSON.stringify(args.url.slice(0, 200))} is not a URL`);
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:') return toolError('EGRESS_REFUSED', `the scheme ${target.protocol.replace(/:$/, '')} is not allowed (http and https only)`);
      if (!allowed(target.hostname)) return toolError('HOST_NOT_ALLOWED', new HostNotAllowedError(target.hostname, allow).message);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(args.headers ?? {})) if (!RESERVED.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
      const values: string[] = [];
      for (const h of secretHeaders) {
        const value = await req.secret(h.secret);
        if (value === undefined) return toolError('SECRET_NOT_GRANTED', `the agent has no grant for the secret ${JSON.stringify(h.secret)} of the header ${h.name}`);
        values.push(value);
        headers[h.name.toLowerCase()] = `${h.prefix ?? ''}${value}`;
      }
      const signal = capSignal(req.signal, caps.timeoutMs);
      try {
        const fetch = egressFetch(egress, { maxResponseBytes: caps.maxReplyBytes, signal, checkHop, originHeaders: secretHeaders.map((h) => h.name) });
        const method = args.method ?? 'GET';
        const res = await fetch(target, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : args.body });
        const body = await res.text();
        return redact({ ok: true, output: { status: res.status, url: res.url, content_type: res.headers.get('content-type'), body } }, values);
      } catch (err) {
        if (err instanceof HostNotAllowedError || (err as { cause?: unknown })?.cause instanceof HostNotAllowedError) {
          const e = err instanceof HostNotAllowedError ? err : ((err as { cause: HostNotAllowedError }).cause);
          return toolError('HOST_NOT_ALLOWED', e.message);
        }
        return redact(outcomeOfError(err, { signal, callerSignal: req.signal, caps }), values);
      }
    },
  };
}

/** A host without the brackets of an IPv6 literal (`URL.hostname` keeps them). */
function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

class HostNotAllowedError extends Error {
  constructor(host: string, allow: readonly string[]) {
    super(`${host} is not one of the hosts this tool may reach (${allow.join(', ')})`);
    this.name = 'HostNotAllowedError';
  }
}
