import type { LogLine } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { FollowOptions, LogListParams, RunLogListParams } from './finding-log-audit-types.ts';
import { followPages, joinList } from './follow-pages.ts';

const seg = encodeURIComponent;

/**
 * Log lines: the `run.log` events workers append (`ctx.log`). A run's lines use its event seq as
 * the cursor; the tenant's use the tenant-wide event id.
 */
export class LogsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * The tenant's lines after `since`, oldest first.
   * @example for await (const line of client.logs.list({ level: ['warn', 'error'], agent: 'scanner' })) console.log(line.message);
   */
  list(params: LogListParams = {}, options?: RequestOptions): PagePromise<LogLine> {
    return this.#page('/v1/logs', { ...params, level: joinList(params.level) }, params.since, options);
  }

  /**
   * One run's lines after seq `since`, oldest first.
   * @example const { data, next_cursor } = await client.logs.listForRun(run.id, { since: '0' });
   */
  listForRun(runId: string, params: RunLogListParams = {}, options?: RequestOptions): PagePromise<LogLine> {
    return this.#page(`/v1/runs/${seg(runId)}/logs`, { ...params, level: joinList(params.level) }, params.since, options);
  }

  /**
   * Every line after `since`, then each new one as it is appended, until `signal` aborts. With
   * `run`, that run's lines (the run's seq is the cursor); else the tenant's.
   * @example for await (const line of client.logs.follow({ run: run.id }, { signal })) console.log(line.level, line.message);
   */
  follow(params: LogListParams = {}, options: FollowOptions & RequestOptions = {}): AsyncGenerator<LogLine> {
    const { run, agent, ...rest } = params;
    const query = { ...rest, level: joinList(params.level) };
    const path = run ? `/v1/runs/${seg(run)}/logs` : '/v1/logs';
    return followPages((since) => this.#client.request({ method: 'GET', path, query: run ? { ...query, since } : { ...query, agent, since } }, options), params.since, options);
  }

  #page(path: string, query: Record<string, string | number | undefined>, since: string | undefined, options?: RequestOptions): PagePromise<LogLine> {
    return new PagePromise<LogLine>((cursor) => this.#client.request({ method: 'GET', path, query: { ...query, since: cursor ?? since } }, options));
  }
}
