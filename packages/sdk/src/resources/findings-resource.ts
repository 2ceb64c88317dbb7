import type { Finding } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { FindingCreateParams, FindingCreateResponse, FindingListParams, FollowOptions, RunFindingListParams } from './finding-log-audit-types.ts';
import { followPages, joinList } from './follow-pages.ts';

const seg = encodeURIComponent;

/**
 * Findings: structured results runs post (`critical`, `warning`, `info`). Lists go oldest first
 * from `since`; iterating a list walks every page, and `follow` keeps going as new ones arrive.
 */
export class FindingsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Posts 1–100 findings through a lease (what `ctx.finding` does in a worker). A retry of the
   * same call is recognised by its Idempotency-Key and stores nothing twice.
   * @example await client.findings.create(task.lease_id, [{ severity: 'warning', summary: 'unused import', file: 'src/a.ts:12' }]);
   */
  create(leaseId: string, findings: FindingCreateParams[], options?: RequestOptions): Promise<FindingCreateResponse> {
    return this.#client.request<FindingCreateResponse>({ method: 'POST', path: `/v1/leases/${seg(leaseId)}/findings`, body: { findings } }, options);
  }

  /**
   * The tenant's findings after `since`, oldest first.
   * @example for await (const f of client.findings.list({ severity: ['critical', 'warning'] })) console.log(f.severity, f.summary);
   */
  list(params: FindingListParams = {}, options?: RequestOptions): PagePromise<Finding> {
    return this.#page('/v1/findings', { ...params, severity: joinList(params.severity) }, params.since, options);
  }

  /**
   * One run's findings after `since`, oldest first.
   * @example const { data } = await client.findings.listForRun(run.id);
   */
  listForRun(runId: string, params: RunFindingListParams = {}, options?: RequestOptions): PagePromise<Finding> {
    return this.#page(`/v1/runs/${seg(runId)}/findings`, { ...params, severity: joinList(params.severity) }, params.since, options);
  }

  /**
   * Every finding after `since`, then each new one as it is posted, until `signal` aborts.
   * @example
   * const ac = new AbortController();
   * for await (const f of client.findings.follow({ severity: 'critical' }, { signal: ac.signal })) alert(f.summary);
   */
  follow(params: FindingListParams = {}, options: FollowOptions & RequestOptions = {}): AsyncGenerator<Finding> {
    const query = { ...params, severity: joinList(params.severity) };
    return followPages((since) => this.#client.request({ method: 'GET', path: '/v1/findings', query: { ...query, since } }, options), params.since, options);
  }

  #page(path: string, query: Record<string, string | number | undefined>, since: string | undefined, options?: RequestOptions): PagePromise<Finding> {
    return new PagePromise<Finding>((cursor) => this.#client.request({ method: 'GET', path, query: { ...query, since: cursor ?? since } }, options));
  }
}
