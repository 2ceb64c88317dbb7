/** The serve flags and environment of timeouts, rate limits and stream caps. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRate, resolveServeConfig } from '../src/config.ts';
import { serverTimeoutOptions } from '../src/http/server-timeouts.ts';

describe('limits configuration', () => {
  it('parses rates', () => {
    assert.deepEqual(parseRate('100/1s', 'x'), { count: 100, periodMs: 1000 });
    assert.deepEqual(parseRate('20/m', 'x'), { count: 20, periodMs: 60_000 });
    assert.deepEqual(parseRate(' 6000 / 1m ', 'x'), { count: 6000, periodMs: 60_000 });
    assert.equal(parseRate('off', 'x'), null);
    assert.equal(parseRate('0', 'x'), null);
    for (const bad of ['100', '/1s', '-1/1s', '0/1s', '10/0s', '10/fortnight', 'ten/1s']) assert.throws(() => parseRate(bad, '--rate-limit-key'), /--rate-limit-key must be a rate/, bad);
  });

  it('gives only what was set, from flags over the environment', () => {
    assert.deepEqual(resolveServeConfig({}, {}).limits, {});
    const c = resolveServeConfig(
      { headerTimeout: '5s', rateLimitKey: '50/1s' },
      {
        AGENTD_HEADER_TIMEOUT: '20s',
        AGENTD_REQUEST_TIMEOUT: '1m',
        AGENTD_KEEP_ALIVE_TIMEOUT: '5s',
        AGENTD_AUTH_FAILURE_LIMIT: 'off',
        AGENTD_TRUST_PROXY: 'loopback, 10.0.0.0/8',
        AGENTD_RATE_LIMIT_TENANT: '500/1s',
        AGENTD_RATE_LIMIT_ADMIN: '1',
        AGENTD_SSE_STREAMS_PER_KEY: '50',
        AGENTD_SSE_STALL_TIMEOUT: '10s',
      },
    ).limits;
    assert.deepEqual(c, {
      headersTimeoutMs: 5000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5000,
      authFailureRate: null,
      trustProxy: 'loopback, 10.0.0.0/8',
      keyRate: { count: 50, periodMs: 1000 },
      tenantRate: { count: 500, periodMs: 1000 },
      rateLimitAdmin: true,
      sseStreamsPerKey: 50,
      sseStallTimeoutMs: 10_000,
    });
  });

  it('refuses settings that would leave sockets unguarded', () => {
    assert.throws(() => resolveServeConfig({ headerTimeout: '0' }, {}), /--header-timeout may not be 0/);
    assert.throws(() => resolveServeConfig({ requestTimeout: '5s' }, {}), /at least the header timeout/);
    assert.throws(() => resolveServeConfig({ sseStreamsPerKey: '0' }, {}), /positive integer/);
    assert.throws(() => resolveServeConfig({ sseStallTimeout: '0' }, {}), /may not be 0/);
    assert.equal(resolveServeConfig({ requestTimeout: '0' }, {}).limits.requestTimeoutMs, 0);
  });

  it("checks Node's timeouts often enough for them to mean what they say", () => {
    const o = serverTimeoutOptions({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000 });
    assert.equal(o.http.connectionsCheckingInterval, 1000);
    assert.equal(o.http.headersTimeout, 10_000);
    assert.equal(serverTimeoutOptions({ headersTimeoutMs: 1000, requestTimeoutMs: 0, keepAliveTimeoutMs: 1 }).http.connectionsCheckingInterval, 100);
  });
});
