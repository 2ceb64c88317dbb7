/**
 * A scripted fake model provider on 127.0.0.1 that speaks the real wire protocols: OpenAI Chat
 * Completions (`POST /v1/chat/completions`, streamed `chat.completion.chunk`s with text pieces,
 * tool calls with argument fragments, a usage chunk when `stream_options.include_usage`, then
 * `[DONE]`) and Anthropic Messages (`POST /v1/messages`, the `message_start` …
 * `content_block_delta` (text_delta, input_json_delta) … `message_delta` … `message_stop` events).
 * Reasoning, when a reply has it, streams first: OpenAI-compatible `reasoning_content` deltas
 * (DeepSeek, vLLM, …), Anthropic a `thinking` block (thinking_delta pieces, then a signature_delta).
 * No mocked SDK: the AI SDK's providers talk to it over HTTP. Every request is recorded.
 *
 * A script decides each answer from the conversation as the fake read it (`FakeTurn`): text, tool
 * calls, whether to send usage, or an HTTP error (429/5xx with Retry-After).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

export interface FakeTurn {
  protocol: 'openai' | 'anthropic';
  /** The system prompt (OpenAI: the system/developer messages; Anthropic: `system`). */
  system: string;
  /** The last user message's text. */
  userText: string;
  /** The tool results after the model's last tool call, in order (empty when the last message is not one). */
  toolResults: { id: string; text: string }[];
  /** Tool names offered. */
  tools: string[];
  /** This request's number among chat requests (1-based). */
  n: number;
  body: any;
}

export interface FakeReply {
  text?: string;
  /** Reasoning streamed before the text. */
  reasoning?: string;
  toolCalls?: { name: string; args: unknown; id?: string }[];
  /** false: no usage in the answer (a provider that forgets it); 'input_only': the prompt's count without the output's. Default true. */
  usage?: boolean | 'input_only';
  /** An HTTP error instead of an answer. */
  status?: number;
  /** The error's message (default `fake error <status>`). */
  errorMessage?: string;
  retryAfter?: string;
  /** Wait this long before the last chunk (for crash tests). */
  holdMs?: number;
  /** OpenAI protocol: a 200 stream whose first chunk does not match the chunk schema (a reply the SDK cannot read). */
  malformed?: boolean;
}

export type FakeScript = (turn: FakeTurn) => FakeReply | string;

export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  raw: string;
  reply?: { text: string; toolCalls: { id: string; name: string; args: string }[]; usage: { input: number; output: number } | null };
}

/** After a round of tool results: "Tool result: <contents>"; "refund" with tools: a call of the refund tool; else "Hello from fake model: <text>". */
export const defaultScript: FakeScript = (t) => {
  if (t.toolResults.length > 0) return `Tool result: ${t.toolResults.map((r) => r.text).join(' | ')}`;
  if (t.tools.length > 0 && /refund/i.test(t.userText)) return { toolCalls: [{ name: t.tools.find((n) => /refund/i.test(n)) ?? t.tools[0], args: { amount: 42 } }] };
  return `Hello from fake model: ${t.userText}`;
};

const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((p: any) => (typeof p?.text === 'string' ? p.text : typeof p?.content === 'string' ? p.content : Array.isArray(p?.content) ? textOf(p.content) : '')).join('') : '';

function openaiTurn(body: any): Omit<FakeTurn, 'n'> {
  const messages: any[] = body.messages ?? [];
  const system = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content)).join('\n');
  const lastCall = messages.map((m, i) => (m.role === 'assistant' && m.tool_calls ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
  const toolResults = lastCall < 0 ? [] : messages.slice(lastCall + 1).filter((m) => m.role === 'tool').map((m) => ({ id: m.tool_call_id, text: textOf(m.content) }));
  const user = [...messages].reverse().find((m) => m.role === 'user');
  return { protocol: 'openai', system, userText: user ? textOf(user.content) : '', toolResults, tools: (body.tools ?? []).map((t: any) => t.function?.name), body };
}

function anthropicTurn(body: any): Omit<FakeTurn, 'n'> {
  const messages: any[] = body.messages ?? [];
  const system = typeof body.system === 'string' ? body.system : textOf(body.system);
  const last = messages.at(-1);
  const results = last?.role === 'user' && Array.isArray(last.content) ? last.content.filter((p: any) => p.type === 'tool_result') : [];
  const userMsg = [...messages].reverse().find((m) => m.role === 'user' && (typeof m.content === 'string' || m.content.some((p: any) => p.type === 'text')));
  const userText = userMsg ? (typeof userMsg.content === 'string' ? userMsg.content : textOf(userMsg.content.filter((p: any) => p.type === 'text'))) : '';
  return { protocol: 'anthropic', system, userText, toolResults: results.map((r: any) => ({ id: r.tool_use_id, text: typeof r.content === 'string' ? r.content : textOf(r.content) })), tools: (body.tools ?? []).map((t: any) => t.name), body };
}

export class FakeLlm {
  readonly requests: RecordedRequest[] = [];
  script: FakeScript;
  readonly apiKey: string | null;
  #server: Server | null = null;
  #port = 0;
  #chats = 0;

  constructor(opts: { script?: FakeScript; apiKey?: string | null } = {}) {
    this.script = opts.script ?? defaultScript;
    this.apiKey = opts.apiKey === undefined ? 'sk-fake' : opts.apiKey;
  }

  /** `http://127.0.0.1:PORT/v1`: the base URL of both protocols. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}/v1`;
  }

  chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/chat/completions') || r.path.endsWith('/messages'));
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((done) => this.#server!.listen(0, '127.0.0.1', done));
    const a = this.#server.address();
    this.#port = typeof a === 'object' && a ? a.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((done) => this.#server!.close(() => done()));
    this.#server = null;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0];
    let body: any = null;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      body = null;
    }
    const rec: RecordedRequest = { path, headers: req.headers, body, raw };
    this.requests.push(rec);
    const isOpenai = path.endsWith('/chat/completions');
    const isAnthropic = path.endsWith('/messages');
    if (!isOpenai && !isAnthropic) return json(res, 404, { error: { message: `no route ${path}` } });
    const key = isOpenai ? String(req.headers.authorization ?? '').replace(/^Bearer /, '') : String(req.headers['x-api-key'] ?? '');
    if (this.apiKey !== null && key !== this.apiKey) return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    const turn: FakeTurn = { ...(isOpenai ? openaiTurn(body) : anthropicTurn(body)), n: ++this.#chats };
    const got = this.script(turn);
    const reply: FakeReply = typeof got === 'string' ? { text: got } : got;
    if (reply.status) {
      const headers: Record<string, string> = reply.retryAfter !== undefined ? { 'retry-after': reply.retryAfter } : {};
      return json(res, reply.status, { error: { message: reply.errorMessage ?? `fake error ${reply.status}`, type: reply.status === 429 ? 'rate_limit_error' : 'server_error' } }, headers);
    }
    const text = reply.text ?? '';
    const calls = (reply.toolCalls ?? []).map((c) => ({ id: c.id ?? `call_${randomBytes(8).toString('hex')}`, name: c.name, args: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) }));
    const input = Math.max(1, Math.floor(raw.length / 4));
    const output = Math.max(1, Math.floor((text.length + calls.reduce((n, c) => n + c.args.length + 8, 0)) / 4));
    const withUsage = reply.usage !== false;
    rec.reply = { text, toolCalls: calls, usage: withUsage ? { input, output } : null };
    const sent = withUsage ? { input, output: reply.usage === 'input_only' ? undefined : output } : null;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (reply.malformed) {
      sse(res, null, { id: 'chatcmpl-bad', object: 'chat.completion.chunk', choices: 'not a list' });
      res.write('data: [DONE]\n\n');
      return void res.end();
    }
    const reasoning = reply.reasoning ?? '';
    if (isOpenai) await this.#openaiStream(res, body, reasoning, text, calls, sent, reply.holdMs);
    else await this.#anthropicStream(res, body, reasoning, text, calls, sent, reply.holdMs);
    res.end();
  }

  async #openaiStream(res: ServerResponse, body: any, reasoning: string, text: string, calls: { id: string; name: string; args: string }[], usage: { input: number; output?: number } | null, holdMs?: number): Promise<void> {
    const id = `chatcmpl-${randomBytes(8).toString('hex')}`;
    const wantUsage = body?.stream_options?.include_usage === true && usage !== null;
    const send = (delta: unknown, finish: string | null = null) => sse(res, null, { id, object: 'chat.completion.chunk', created: 1700000000, model: body?.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(wantUsage ? { usage: null } : {}) });
    send({ role: 'assistant', content: '' });
    for (const piece of pieces(reasoning)) {
      send({ reasoning_content: piece });
      await tick();
    }
    for (const piece of pieces(text)) {
      send({ content: piece });
      await tick();
    }
    calls.forEach((c, i) => {
      send({ tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] });
      for (const piece of pieces(c.args)) send({ tool_calls: [{ index: i, function: { arguments: piece } }] });
    });
    if (holdMs) await hold(res, holdMs);
    send({}, calls.length > 0 ? 'tool_calls' : 'stop');
    if (wantUsage) sse(res, null, { id, object: 'chat.completion.chunk', created: 1700000000, model: body?.model, choices: [], usage: { prompt_tokens: usage.input, ...(usage.output === undefined ? {} : { completion_tokens: usage.output, total_tokens: usage.input + usage.output }) } });
    res.write('data: [DONE]\n\n');
  }

  async #anthropicStream(res: ServerResponse, body: any, reasoning: string, text: string, calls: { id: string; name: string; args: string }[], usage: { input: number; output?: number } | null, holdMs?: number): Promise<void> {
    const u = usage ?? ({} as { input?: number; output?: number });
    sse(res, 'message_start', { type: 'message_start', message: { id: `msg_${randomBytes(8).toString('hex')}`, type: 'message', role: 'assistant', model: body?.model, content: [], stop_reason: null, stop_sequence: null, usage: usage ? { input_tokens: u.input, ...(u.output === undefined ? {} : { output_tokens: 1 }) } : {} } });
    let index = 0;
    if (reasoning) {
      sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '' } });
      for (const piece of pieces(reasoning)) {
        sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } });
        await tick();
      }
      sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: `sig_${randomBytes(8).toString('hex')}` } });
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    if (text) {
      sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const piece of pieces(text)) {
        sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
        await tick();
      }
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    for (const c of calls) {
      sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } });
      for (const piece of pieces(c.args)) sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    if (holdMs) await hold(res, holdMs);
    sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: calls.length > 0 ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: usage && u.output !== undefined ? { output_tokens: u.output } : {} });
    sse(res, 'message_stop', { type: 'message_stop' });
  }
}

function pieces(s: string): string[] {
  const step = Math.max(1, Math.ceil(s.length / 4));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += step) out.push(s.slice(i, i + step));
  return out;
}

/** Waits `ms`, or less when the client goes away (no timer outlives the connection). */
function hold(res: ServerResponse, ms: number): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      res.off('close', finish);
      done();
    }
    res.on('close', finish);
  });
}

const tick = () => new Promise((r) => setImmediate(r));

function sse(res: ServerResponse, event: string | null, data: unknown): void {
  res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
