/**
 * What the idempotency route tables share: the shapes of a row and the small request helpers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { HELLO_MANIFEST, type TestApp } from './test-app.ts';

export interface IdempotentRequest {
  url: string;
  body?: unknown;
  /** The same request with another body: 422 IDEMPOTENCY_KEY_REUSED under a used key. */
  other?: unknown;
  /** The API key to send (a lease's worker key); the admin key by default. */
  key?: string;
  /** A request to the same route that fails (4xx), so its key stays unused. */
  invalid: { url: string; body?: unknown };
  /** What the request changes, read back; compared before and after. */
  effect(): Promise<unknown>;
}

export interface IdempotentRoute {
  /** `METHOD /path/{param}`, as `app.registeredRoutes` lists it. */
  route: string;
  status: number;
  /** The route changes nothing in the database: its record is its only write. */
  stateless?: boolean;
  /** The answer holds key material; its record is sealed. */
  sensitive?: boolean;
  setup(t: TestApp): Promise<IdempotentRequest>;
}


export const agent = (name: string, description?: string) => ({ ...HELLO_MANIFEST, metadata: { name, ...(description ? { description } : {}) } });
export const unique = () => randomUUID().slice(0, 8);

export async function ok(t: TestApp, method: string, url: string, body?: unknown, key?: string) {
  const r = await t.call(method, url, { body, key });
  assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json();
}
export const read = async (t: TestApp, url: string) => {
  const r = await t.call('GET', url);
  return { status: r.statusCode, body: r.statusCode < 300 ? r.json() : null };
};

