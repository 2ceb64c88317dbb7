import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseOptions {
  /** Comment frames this often, so proxies keep the connection and dead peers are noticed. */
  heartbeatMs: number;
}

/** A frame's `event:`/`id:` may not hold CR or LF, or one frame could forge another. */
const LINE_BREAK = /[\r\n]/;

/**
 * One SSE response. Writes wait for `drain` when the client reads slowly, so a stalled client
 * holds one socket buffer, never an unbounded queue.
 */
export class SseStream {
  readonly #reply: FastifyReply;
  #closed = false;
  #heartbeat: NodeJS.Timeout;
  readonly #onClose: (() => void)[] = [];

  constructor(request: FastifyRequest, reply: FastifyReply, opts: SseOptions) {
    this.#reply = reply;
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    reply.raw.write(': connected\n\n');
    this.#heartbeat = setInterval(() => {
      if (!this.#closed) reply.raw.write(': ping\n\n');
    }, opts.heartbeatMs);
    reply.raw.on('close', () => this.#markClosed());
    reply.raw.on('error', () => this.#markClosed());
  }

  get closed(): boolean {
    return this.#closed;
  }

  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const fn of this.#onClose.splice(0)) fn();
  }

  /** Sends one event; resolves once the socket can take more. */
  async send(id: string, event: string, data: unknown): Promise<void> {
    if (this.#closed) return;
    if (LINE_BREAK.test(id) || LINE_BREAK.test(event)) throw new Error('SSE id and event may not contain line breaks');
    // JSON.stringify escapes every line break inside strings, so the data is one line.
    const ok = this.#reply.raw.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (!ok && !this.#closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#reply.raw.off('drain', done);
          resolve();
        };
        this.#reply.raw.on('drain', done);
        this.onClose(done);
      });
    }
  }

  end(): void {
    if (!this.#closed) this.#reply.raw.end();
    this.#markClosed();
  }
}

/**
 * A wake-up flag for stream loops: a wake that arrives while the loop is reading the database is
 * remembered, so the loop reads again instead of sleeping through it.
 */
export class Waker {
  #pending = false;
  #resolve: (() => void) | null = null;

  wake(): void {
    this.#pending = true;
    this.#resolve?.();
  }

  /** Resolves at the next wake (or at once if one is pending), or after `ms`. */
  async wait(ms: number): Promise<void> {
    if (!this.#pending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.#resolve = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#pending = false;
    this.#resolve = null;
  }
}

/** Picks SSE unless the client asks for JSON and not for an event stream. */
export function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/event-stream');
}
