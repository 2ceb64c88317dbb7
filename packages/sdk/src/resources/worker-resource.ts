import type { HttpClient } from '../core/http-client.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { Task } from '@agentd/protocol';
import type { CompleteAndLeaseResponse, CompleteBatchResponse, CompleteLeaseParams, CompletionItem, LeaseParams, LeaseResponse } from './resource-types.ts';

/** `/v1/worker/*`: leasing work and batched completion. Most code uses `Worker` instead. */
export class WorkerResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Long-polls up to `wait_ms` for runs to work on. Give the call a `timeout` above `wait_ms`.
   * @example const { tasks } = await client.worker.lease({ agent: 'greeter', max_tasks: 5, wait_ms: 20_000 });
   */
  lease(params: LeaseParams, options?: RequestOptions): Promise<LeaseResponse> {
    return this.#client.request<LeaseResponse>({ method: 'POST', path: '/v1/worker/lease', body: params }, options);
  }

  /**
   * Completes or fails up to 500 leases at once; each item succeeds or fails on its own.
   * @example const { results } = await client.worker.completeBatch([{ lease_id, output: { ok: true } }]);
   */
  completeBatch(results: CompletionItem[], options?: RequestOptions): Promise<CompleteBatchResponse> {
    return this.#client.request<CompleteBatchResponse>({ method: 'POST', path: '/v1/worker/complete', body: { results } }, options);
  }

  /**
   * Completes or fails leases and, in the same call, leases up to `lease.max_tasks` runs that are
   * ready now (it does not wait). A busy worker reports and refills in one round trip.
   * Retrying a call whose answer was lost would lease again: pass `maxRetries: 0` and, on
   * failure, report the results with `completeBatch` (its retries are safe).
   * @example const { results, tasks } = await client.worker.completeAndLease(done, { agent: 'greeter', max_tasks: 10 }, { maxRetries: 0 });
   */
  async completeAndLease(results: CompletionItem[], lease: CompleteLeaseParams, options?: RequestOptions): Promise<CompleteAndLeaseResponse> {
    const answer = await this.#client.request<CompleteBatchResponse & { tasks?: Task[] }>({ method: 'POST', path: '/v1/worker/complete', body: { results, lease } }, options);
    return { results: answer.results, tasks: answer.tasks ?? [] };
  }
}
