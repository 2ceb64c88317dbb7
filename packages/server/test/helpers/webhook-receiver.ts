/**
 * A real HTTP receiver on 127.0.0.1 for webhook and egress tests: records every request (headers,
 * body, when it started and ended) and answers as `respond` says. Tracks how many requests carry
 * the same `webhook-id` at once, so a test can tell a delivery was never sent twice concurrently.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ReceivedRequest {
  n: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Wait this long before answering, ms. */
  delayMs?: number;
  /** Never answer (a hung receiver); the socket is closed by close(). */
  hang?: boolean;
}

export type Responder = (req: Omit<ReceivedRequest, 'status'>) => Answer;

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** The most requests with one webhook-id that were in flight at the same time. */
  maxConcurrentPerId = 0;
  respond: Responder;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #inFlight = new Map<string, number>();
  readonly #waiters: (() => void)[] = [];
  port = 0;

  constructor(respond: Responder = () => ({ status: 200 })) {
    this.respond = respond;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const id = String(req.headers['webhook-id'] ?? '');
        const now = (this.#inFlight.get(id) ?? 0) + 1;
        this.#inFlight.set(id, now);
        if (id) this.maxConcurrentPerId = Math.max(this.maxConcurrentPerId, now);
        const seen = { n: this.requests.length + 1, method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        const answer = this.respond(seen);
        if (answer.hang) return;
        const finish = () => {
          this.#inFlight.set(id, (this.#inFlight.get(id) ?? 1) - 1);
          this.requests.push({ ...seen, status: answer.status });
          res.writeHead(answer.status, { 'content-length': '0', ...answer.headers });
          res.end();
          for (const w of this.#waiters.splice(0)) w();
        };
        if (answer.delayMs) setTimeout(finish, answer.delayMs);
        else finish();
      });
    });
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const a = this.#server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resolves once `predicate` holds over the answered requests (checked after each answer). */
  async until(predicate: (requests: ReceivedRequest[]) => boolean, what: string, timeoutMs = 30_000): Promise<ReceivedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.requests)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`receiver: timed out waiting for ${what}; got ${this.requests.length} request(s): ${JSON.stringify(this.requests.map((r) => [r.status, r.body.slice(0, 80)])).slice(0, 1500)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.requests;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The event a delivery carried. */
export const eventOf = (r: ReceivedRequest): { id: string; type: string; run_id: string; seq: number; agent: string; data: Record<string, unknown> } => JSON.parse(r.body);
