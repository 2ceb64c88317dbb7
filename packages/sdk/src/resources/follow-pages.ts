import type { Page } from '@agentd/protocol';
import { sleepUntilAborted } from '../core/abort-utils.ts';
import type { FollowOptions } from './finding-log-audit-types.ts';

/** Polls this often once caught up, unless told otherwise. */
const DEFAULT_FOLLOW_INTERVAL_MS = 1000;

/** Lists of several values travel comma-separated. */
export const joinList = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(',') : value);

/**
 * Every item after `since`, then each new one as it arrives, exactly once: it asks again from the
 * last `next_cursor`, and waits `intervalMs` whenever it
 * has caught up. Ends when
 * `signal` aborts (quietly) or an error is thrown.
 */
export async function* followPages<T>(fetchPage: (since: string | undefined) => Promise<Page<T>>, since: string | undefined, options: FollowOptions): AsyncGenerator<T> {
  let cursor = since;
  const { signal } = options;
  while (!signal?.aborted) {
    let page: Page<T>;
    try {
      page = await fetchPage(cursor);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    for (const item of page.data) {
      if (signal?.aborted) return;
      yield item;
    }
    // null: nothing new was there. (A page can be empty and still move on, when a filter on
    // the server dropped every row it read.)
    if (page.next_cursor) cursor = page.next_cursor;
    else await sleepUntilAborted(options.intervalMs ?? DEFAULT_FOLLOW_INTERVAL_MS, signal);
  }
}
