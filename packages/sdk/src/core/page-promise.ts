import type { Page } from '@agentd/protocol';
import { AgentdError } from '../errors/index.ts';

/** Fetches the page at `cursor` (undefined for the first). */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<Page<T>>;

/**
 * One page of a list, with the way to the next. Its own enumerable fields are exactly the wire
 * shape, `{data, next_cursor}`, so it serialises like the server's answer.
 *
 * @example
 * let page = await client.runs.list({ limit: 100 });
 * while (true) { handle(page.data); if (!page.hasNextPage()) break; page = await page.getNextPage(); }
 */
export class CursorPage<T> implements Page<T>, AsyncIterable<T> {
  data: T[];
  next_cursor: string | null;
  readonly #fetch: PageFetcher<T>;
  readonly #cursor: string | undefined;

  constructor(page: Page<T>, fetch: PageFetcher<T>, cursor: string | undefined) {
    this.data = page.data;
    this.next_cursor = page.next_cursor ?? null;
    this.#fetch = fetch;
    this.#cursor = cursor;
  }

  hasNextPage(): boolean {
    return this.next_cursor !== null && this.next_cursor !== '';
  }

  async getNextPage(): Promise<CursorPage<T>> {
    if (!this.hasNextPage()) throw new AgentdError('No next page: check hasNextPage() first.');
    // A server that hands back the cursor it was given would make iteration loop forever.
    if (this.next_cursor === this.#cursor) throw new AgentdError(`The server returned the same cursor twice: ${this.next_cursor}`);
    const cursor = this.next_cursor as string;
    return new CursorPage(await this.#fetch(cursor), this.#fetch, cursor);
  }

  /** This page and every page after it. */
  async *iterPages(): AsyncGenerator<CursorPage<T>> {
    let page: CursorPage<T> = this;
    yield page;
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      yield page;
    }
  }

  /** Every item of this page and of every page after it, fetched as iteration reaches them. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const page of this.iterPages()) yield* page.data;
  }
}

/**
 * What list calls return: `await` it for the first page, or `for await` it for every item.
 * The request starts on first use, not on creation, so a list call that is never awaited
 * neither sends a request nor leaves an unhandled rejection behind.
 *
 * @example
 * const first = await client.runs.list({ status: 'failed' });
 * for await (const run of client.runs.list({ status: 'failed' })) console.log(run.id);
 */
export class PagePromise<T> implements PromiseLike<CursorPage<T>>, AsyncIterable<T> {
  readonly #fetch: PageFetcher<T>;
  #first: Promise<CursorPage<T>> | undefined;

  constructor(fetch: PageFetcher<T>) {
    this.#fetch = fetch;
  }

  #load(): Promise<CursorPage<T>> {
    this.#first ??= this.#fetch(undefined).then((page) => new CursorPage(page, this.#fetch, undefined));
    return this.#first;
  }

  then<R1 = CursorPage<T>, R2 = never>(
    onfulfilled?: ((page: CursorPage<T>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#load().then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<CursorPage<T> | R> {
    return this.#load().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<CursorPage<T>> {
    return this.#load().finally(onfinally);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    yield* await this.#load();
  }
}
