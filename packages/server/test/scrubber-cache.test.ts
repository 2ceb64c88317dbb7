/**
 * The lease scrubber cache (secrets/scrubber-cache.ts): a lease's entries only grow while it is
 * cached, a change makes its scrubbers stale without losing what they held, and a build that
 * read the grants before a change is kept stale.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SCRUBBER_TTL_MS, ScrubberCache } from '../src/secrets/scrubber-cache.ts';

const A = { name: 'a', value: 'value-of-a' };
const B = { name: 'b', value: 'value-of-b' };

it('is fresh for SCRUBBER_TTL_MS, then rebuilt; a rebuild keeps what the lease held', () => {
  const cache = new ScrubberCache();
  cache.put('t', 'l', [A], 0, cache.generation('t'));
  assert.ok(cache.fresh('t', 'l', SCRUBBER_TTL_MS - 1));
  assert.equal(cache.fresh('t', 'l', SCRUBBER_TTL_MS), undefined);
  // The rebuild no longer finds A (its secret was deleted) but finds B: both are scrubbed.
  const scrub = cache.put('t', 'l', [B], SCRUBBER_TTL_MS, cache.generation('t'));
  assert.equal(scrub('value-of-a value-of-b'), '[redacted:a] [redacted:b]');
});

it('forget makes the tenant\'s scrubbers stale, keeping their values; other tenants are untouched', () => {
  const cache = new ScrubberCache();
  cache.put('t', 'l', [A], 0, cache.generation('t'));
  cache.put('u', 'l', [A], 0, cache.generation('u'));
  cache.forget('t');
  assert.equal(cache.fresh('t', 'l', 1), undefined);
  assert.ok(cache.fresh('u', 'l', 1));
  const scrub = cache.put('t', 'l', [], 1, cache.generation('t'));
  assert.equal(scrub('value-of-a'), '[redacted:a]');
  assert.ok(cache.fresh('t', 'l', 2));
});

it('a build that read the grants before a change is stored stale: the next use rebuilds it', () => {
  const cache = new ScrubberCache();
  const before = cache.generation('t');
  cache.forget('t'); // a grant committed while the build was reading
  const scrub = cache.put('t', 'l', [A], 0, before);
  assert.equal(scrub('value-of-a'), '[redacted:a]', 'what it read is used for this report');
  assert.equal(cache.fresh('t', 'l', 1), undefined, 'but not cached as fresh');
});
