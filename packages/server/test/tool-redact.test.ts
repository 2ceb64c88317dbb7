/** A tool's outcome has a secret's value redacted in every form it takes: raw, inside a JSON string, URL-encoded. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redact } from '../src/tools/tool-caps.ts';

describe('redact (tool outcomes)', () => {
  it('replaces the raw, JSON-escaped and URL-encoded forms of a secret, in keys and values', () => {
    const secret = 'k/"ey+ sec\\ret';
    const echoed = { ok: true, output: { body: `raw=${secret} json=${JSON.stringify({ k: secret })} url=https://x.test/?key=${encodeURIComponent(secret)}`, [secret]: 1 } };
    const out = redact(echoed, [secret]);
    const text = JSON.stringify(out);
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]) assert.ok(!text.includes(form), `${form} in ${text}`);
    assert.equal(out.output.body, 'raw=[redacted] json={"k":"[redacted]"} url=https://x.test/?key=[redacted]');
    assert.deepEqual(Object.keys(out.output), ['body', '[redacted]']);
    assert.deepEqual(redact({ ok: true, output: 'abc' }, ['abc']), { ok: true, output: 'abc' }, 'values under 4 characters are left');
  });
});
