import type { AuditRecord } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { AuditListParams } from './finding-log-audit-types.ts';

/** `/v1/audit`: the append-only audit trail (admin keys only). */
export class AuditResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Newest first; filters combine.
   * @example for await (const r of client.audit.list({ outcome: 'denied' })) console.log(r.at, r.actor, r.action, r.status_code);
   */
  list(params: AuditListParams = {}, options?: RequestOptions): PagePromise<AuditRecord> {
    return this.#client.requestPage<AuditRecord>('/v1/audit', { ...params }, options);
  }
}
