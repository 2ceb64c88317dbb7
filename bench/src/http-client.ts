import { Agent, request } from 'node:http';

/**
 * The producers' HTTP client: `node:http` with a keep-alive agent. Measured on the 2-core bench
 * machine against a do-nothing server, the global fetch (undici) tops out near 3,500 requests/s
 * from one thread, below the 5,000 runs/s target, while `node:http` reaches 7,000–10,000: the
 * producers must not be what limits the figure.
 */
export class BenchHttp {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;
  readonly #auth: string;

  constructor(baseURL: string, apiKey: string, maxSockets: number) {
    const url = new URL(baseURL);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#auth = `Bearer ${apiKey}`;
    this.#agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** POSTs a JSON body; resolves with the status and the body text. */
  post(path: string, body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#host,
          port: this.#port,
          path,
          method: 'POST',
          agent: this.#agent,
          headers: { authorization: this.#auth, 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
