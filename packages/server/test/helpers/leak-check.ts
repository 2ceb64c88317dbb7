/**
 * After each server test file: no leaked servers, sockets, connections, timers or child processes
 * (graphile-worker's rule; the SDK and CLI tests have their own). See leak-check-after-file.ts for
 * the hook most files get; a file with file-level `after` cleanup calls `assertNoLeaks` last in it.
 */
import assert from 'node:assert/strict';

/** Resource kinds that mean a test left a timer, socket, server, pool connection or child behind. */
const LEAKY = new Set(['Timeout', 'TCPSocketWrap', 'TCPServerWrap', 'TCPWrap', 'ProcessWrap']);

const leaky = () => process.getActiveResourcesInfo().filter((r) => LEAKY.has(r));

export async function assertNoLeaks(): Promise<void> {
  // Sockets closed by the peer take a few turns of the event loop to go; a live timer stays live.
  for (let i = 0; i < 50 && leaky().length > 0; i++) await new Promise((r) => setImmediate(r));
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline && leaky().length > 0) await new Promise((r) => setImmediate(r));
  assert.deepEqual(leaky(), [], 'leaked handles after this test file (servers, sockets, connections, timers or children)');
}

