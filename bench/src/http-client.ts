import { Pool } from 'undici';

/**
 * The producers' HTTP client: an undici `Pool` of keep-alive connections, one request in flight
 * on each. The producers share the bench machine's two cores with the server, so what they cost
 * is taken from the server: measured there against a do-nothing server, `node:http` costs
 * 110–130 µs of CPU per request, undici's `request` 65–90 µs, and the global fetch (undici behind
 * the WHATWG API) tops out near 3,500 requests/s from one thread.
 */
export class BenchHttp {
  readonly #pool: Pool;
  readonly #auth: string;

  constructor(baseURL: string, apiKey: string, connections: number) {
    this.#pool = new Pool(new URL(baseURL).origin, { connections, pipelining: 1 });
    this.#auth = `Bearer ${apiKey}`;
  }

  /** POSTs a JSON body; resolves with the status and the body text. */
  async post(path: string, body: string): Promise<{ status: number; text: string }> {
    const res = await this.#pool.request({
      path,
      method: 'POST',
      headers: { authorization: this.#auth, 'content-type': 'application/json', accept: 'application/json' },
      body,
    });
    return { status: res.statusCode, text: await res.body.text() };
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }
}
