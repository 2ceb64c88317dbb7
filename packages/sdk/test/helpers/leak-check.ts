import assert from 'node:assert/strict';

/** Resource kinds that mean a test left a timer, socket or server behind. */
const LEAKY = new Set(['Timeout', 'TCPSocketWrap', 'TCPServerWrap', 'TCPWrap']);

function leaky(): string[] {
  return process.getActiveResourcesInfo().filter((r) => LEAKY.has(r));
}

/**
 * Fails when timers or sockets are still alive after the test's own cleanup. Sockets closed by the
 * peer take a few turns of the event loop to go, so it waits briefly before judging.
 */
export async function assertNoLeaks(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (leaky().length === 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  // A short real wait for sockets whose close is still in flight; a live timer stays live.
  const deadline = Date.now() + 500;
  while (Date.now() < deadline && leaky().length > 0) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(leaky(), [], 'leaked handles after the test');
}
