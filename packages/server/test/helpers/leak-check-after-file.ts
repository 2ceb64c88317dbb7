/**
 * Importing this module registers the leak check as a file-level `after` hook. Hooks run in the
 * order they were registered and this one is registered at import, so it follows every suite's
 * (`describe`) cleanup but precedes the file's own file-level `after`: a file with such a hook
 * calls `assertNoLeaks` at its end instead. Every file that opens a database gets this through
 * helpers/dialects.ts.
 */
import { after } from 'node:test';
import { assertNoLeaks } from './leak-check.ts';

after(async () => {
  try {
    await assertNoLeaks();
  } catch (err) {
    // The leaked server or interval would keep this file's process (and `npm test`) alive
    // forever: once the failure is reported, end it.
    setTimeout(() => process.exit(1), 2000).unref();
    throw err;
  }
});
