import type { Approval, Page } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';

export interface ApprovalListParams {
  /** One status or several: pending, approved, rejected, expired, cancelled. */
  status?: string | string[];
  agent?: string;
  run?: string;
  assignee?: string;
  limit?: number;
  cursor?: string;
}

export interface ApprovalLink {
  token: string;
  /** Relative to the server's base URL; no API key needed to use it. */
  path: string;
  decision: 'approve' | 'reject' | null;
  expires_at: string;
}

const seg = encodeURIComponent;

/** `/v1/approvals`: human decisions runs wait on. Deciding needs the `approver` (or `admin`) role. */
export class ApprovalsResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /** Newest first. @example for await (const a of client.approvals.list({ status: 'pending' })) console.log(a.id, a.prompt); */
  list(params: ApprovalListParams = {}, options?: RequestOptions): PagePromise<Approval> {
    const { status, ...rest } = params;
    return this.#client.requestPage<Approval>('/v1/approvals', { ...rest, ...(status ? { status: Array.isArray(status) ? status.join(',') : status } : {}) }, options);
  }

  /** @example const a = await client.approvals.retrieve('apr_123'); */
  retrieve(id: string, options?: RequestOptions): Promise<Approval> {
    return this.#client.request<Approval>({ method: 'GET', path: `/v1/approvals/${seg(id)}` }, options);
  }

  /** One vote toward `required_approvals`. @example await client.approvals.approve('apr_123', { comment: 'looks right' }); */
  approve(id: string, params: { comment?: string } = {}, options?: RequestOptions): Promise<Approval> {
    return this.#client.request<Approval>({ method: 'POST', path: `/v1/approvals/${seg(id)}/approve`, body: params }, options);
  }

  /** A rejection decides at once and needs a reason. @example await client.approvals.reject('apr_123', { reason: 'amount too high' }); */
  reject(id: string, params: { reason: string }, options?: RequestOptions): Promise<Approval> {
    return this.#client.request<Approval>({ method: 'POST', path: `/v1/approvals/${seg(id)}/reject`, body: params }, options);
  }

  /**
   * A signed, expiring, single-use link a person can decide with, without an API key.
   * @example const link = await client.approvals.createLink('apr_123', { decision: 'approve', for: 'ada@example.com' });
   */
  createLink(id: string, params: { decision?: 'approve' | 'reject'; expires_in_ms?: number; for?: string } = {}, options?: RequestOptions): Promise<ApprovalLink> {
    return this.#client.request<ApprovalLink>({ method: 'POST', path: `/v1/approvals/${seg(id)}/link`, body: params }, options);
  }

  /** Decide through a link's token (no API key is needed for this call). */
  decideWithLink(token: string, params: { decision?: 'approve' | 'reject'; comment?: string; reason?: string } = {}, options?: RequestOptions): Promise<Approval> {
    return this.#client.request<Approval>({ method: 'POST', path: `/v1/approval-links/${seg(token)}`, body: params }, options);
  }
}

export type ApprovalPage = Page<Approval>;
