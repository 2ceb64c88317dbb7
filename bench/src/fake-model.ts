/**
 * The LLM bench's model: an OpenAI Chat Completions server on 127.0.0.1 (`POST
 * /v1/chat/completions`, streamed `chat.completion.chunk`s, a usage chunk, `[DONE]`) whose answer
 * to a user message is `chunks` pieces of `PIECE` text, `gapMs` apart (0: one event-loop turn
 * apart); offered tools and no tool result yet, it calls the first tool once instead. It records, per user message (the bench's tag for the run), when the request arrived,
 * when each piece was written and when the answer ended, on the bench's `performance.now()` clock.
 * Bench-local on purpose: the server's test helper (test/helpers/fake-llm.ts) scripts answers and
 * records bodies, which costs memory at 1,000 streams and is not part of the bench's import graph.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** Every piece is this long, so a delta's accumulated length tells which piece it ends in. */
export const PIECE = 'token_ ';

export interface ModelTimes {
  request: number;
  /** When each piece was written. */
  pieces: number[];
  end: number;
}

export class FakeModel {
  readonly times = new Map<string, ModelTimes>();
  chunks = 8;
  gapMs = 0;
  #server: Server | null = null;
  #port = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}/v1`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 60_000;
    await new Promise<void>((done) => this.#server!.listen(0, '127.0.0.1', 2048, done));
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
    const request = performance.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (!(req.url ?? '').startsWith('/v1/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model?: string; messages?: { role: string; content: unknown }[]; tools?: { function?: { name?: string } }[] };
    const user = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
    const tag = typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
    const t: ModelTimes = { request, pieces: [], end: 0 };
    this.times.set(tag, t);
    const chunk = (delta: unknown, finish: string | null, usage: unknown = null) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1700000000, model: body.model, choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(chunk({ role: 'assistant', content: '' }, null));
    const tool = body.tools?.[0]?.function?.name;
    if (tool && !(body.messages ?? []).some((m) => m.role === 'tool')) {
      // Offered tools and none answered yet: one call of the first tool, then the text answer after its result.
      res.write(chunk({ tool_calls: [{ index: 0, id: 'call_bench', type: 'function', function: { name: tool, arguments: '{"amount":1}' } }] }, null));
      res.write(chunk({}, 'tool_calls'));
      res.write(chunk(null, null, { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 }));
      res.end('data: [DONE]\n\n');
      t.end = performance.now();
      return;
    }
    for (let i = 0; i < this.chunks; i++) {
      if (i > 0) await (this.gapMs > 0 ? new Promise((r) => setTimeout(r, this.gapMs)) : new Promise((r) => setImmediate(r)));
      if (res.destroyed) return;
      res.write(chunk({ content: PIECE }, null));
      t.pieces.push(performance.now());
    }
    res.write(chunk({}, 'stop'));
    res.write(chunk(null, null, { prompt_tokens: 20, completion_tokens: this.chunks, total_tokens: 20 + this.chunks }));
    res.end('data: [DONE]\n\n');
    t.end = performance.now();
  }
}
