import type { FastifyRequest } from 'fastify';
import {
  APPROVAL_WAIT_DEFAULT_MS,
  Approval,
  ApprovalLink,
  ApprovalLinkView,
  ApprovalListQuery,
  ApprovalWaitQuery,
  ApproveBody,
  IdParams,
  LIST_LIMIT_DEFAULT,
  LeaseApprovalParams,
  LeaseParams,
  LinkBody,
  LinkDecisionBody,
  LinkTokenParams,
  RejectBody,
  WorkerApprovalBody,
  page,
} from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { ApiError } from '../http/index.ts';
import { scrubForLease } from '../leases/index.ts';
import { errors } from '../http/index.ts';

const DEFAULT_LINK_TTL_MS = 7 * 86_400_000;

export function approvalRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.get(
    '/v1/approvals',
    { config: { permission: 'read' }, schema: { tags: ['approvals'], summary: 'List approvals, newest first', querystring: ApprovalListQuery, response: { 200: page(Approval), ...errors(400, 401, 403) } } },
    async (request) => engine.approvals.list(tenantOf(request), { ...request.query, limit: request.query.limit ?? LIST_LIMIT_DEFAULT }),
  );
  app.get(
    '/v1/approvals/:id',
    { config: { permission: 'read' }, schema: { tags: ['approvals'], summary: 'Get an approval with its votes', params: IdParams, response: { 200: Approval, ...errors(401, 403, 404) } } },
    async (request) => engine.approvals.get(tenantOf(request), request.params.id),
  );
  const decider = (request: FastifyRequest) => ({ id: request.principal!.keyId, name: request.principal!.keyName });
  app.post(
    '/v1/approvals/:id/approve',
    {
      config: { permission: 'approvals:decide' },
      schema: { tags: ['approvals'], summary: 'Approve (one vote toward required_approvals)', params: IdParams, body: ApproveBody, response: { 200: Approval, ...errors(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const comment = request.body?.comment ?? null;
      return idempotency.run(request, reply, 200, (record) => engine.approvals.decide(tenantOf(request), request.params.id, decider(request), 'approve', { comment }, { record }));
    },
  );
  app.post(
    '/v1/approvals/:id/reject',
    {
      config: { permission: 'approvals:decide' },
      schema: { tags: ['approvals'], summary: 'Reject (a reason is required); one rejection decides', params: IdParams, body: RejectBody, response: { 200: Approval, ...errors(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const { reason } = request.body;
      return idempotency.run(request, reply, 200, (record) => engine.approvals.decide(tenantOf(request), request.params.id, decider(request), 'reject', { reason }, { record }));
    },
  );
  app.post(
    '/v1/approvals/:id/link',
    {
      // The answer is a credential (the token decides without an API key): a replay returns the
      // same link, so the record is sealed.
      config: { permission: 'approvals:decide', sensitiveResponse: true },
      schema: {
        tags: ['approvals'],
        summary: 'Make a signed, expiring, single-use decision link (for email or chat)',
        params: IdParams,
        body: LinkBody,
        response: { 201: ApprovalLink, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const approval = await engine.approvals.get(tenantId, request.params.id);
      const body = request.body ?? {};
      // Signing changes nothing in the database: the idempotency record is the only write.
      return idempotency.run(
        request,
        reply,
        201,
        async () => {
          const exp = engine.clock.now() + (body.expires_in_ms ?? DEFAULT_LINK_TTL_MS);
          const { token } = engine.approvalLinks.sign({ t: tenantId, a: approval.id, d: body.decision ?? null, exp, for: body.for ?? null });
          return { token, path: `/v1/approval-links/${token}`, decision: body.decision ?? null, expires_at: new Date(exp).toISOString() };
        },
        { stateless: true },
      );
    },
  );

  const claimsOf = (token: string) => {
    const claims = engine.approvalLinks.verify(token, engine.clock.now());
    if (!claims) throw new ApiError('APPROVAL_LINK_INVALID', 'this decision link is malformed, forged or expired');
    return claims;
  };
  app.get(
    '/v1/approval-links/:token',
    {
      config: { permission: 'public' },
      schema: { tags: ['approvals'], summary: 'What a decision link decides (no API key: the link is the credential)', security: [], params: LinkTokenParams, response: { 200: ApprovalLinkView, ...errors(401, 404) } },
    },
    async (request) => {
      const claims = claimsOf(request.params.token);
      return { approval: await engine.approvals.get(claims.t, claims.a), decision: claims.d, expires_at: new Date(claims.exp).toISOString() };
    },
  );
  app.post(
    '/v1/approval-links/:token',
    {
      config: { permission: 'public' },
      schema: { tags: ['approvals'], summary: 'Decide through a signed link (once)', security: [], params: LinkTokenParams, body: LinkDecisionBody, response: { 200: Approval, ...errors(400, 401, 404, 409) } },
    },
    async (request) => {
      const claims = claimsOf(request.params.token);
      const body = request.body ?? {};
      const decision = claims.d ?? body.decision;
      if (!decision) throw new ApiError('VALIDATION_ERROR', 'this link lets you choose: send {"decision":"approve"|"reject"}', [{ path: 'body.decision', message: 'is required' }]);
      if (claims.d && body.decision && body.decision !== claims.d) throw new ApiError('VALIDATION_ERROR', `this link can only ${claims.d}`, [{ path: 'body.decision', message: `must be ${claims.d}` }]);
      if (decision === 'reject' && !body.reason) throw new ApiError('VALIDATION_ERROR', 'a rejection needs a reason', [{ path: 'body.reason', message: 'is required' }]);
      const who = { id: `link:${claims.jti.slice(0, 12)}`, name: claims.for };
      // No API key here: the audit trail files the decision under the link's tenant and id.
      request.auditActor = { tenantId: claims.t, actor: who.id, role: null };
      return engine.approvals.decide(claims.t, claims.a, who, decision, { comment: body.comment ?? null, reason: body.reason ?? null }, { link: { jti: claims.jti } });
    },
  );

  // The worker side: ask, then wait. Fenced by the lease like every worker call.
  app.post(
    '/v1/leases/:lease_id/approvals',
    {
      config: { permission: 'worker' },
      schema: { tags: ['worker'], summary: 'Ask for a human decision; the same key returns the same approval', params: LeaseParams, body: WorkerApprovalBody, response: { 200: Approval, ...errors(400, 401, 403, 404, 409) } },
    },
    async (request) => {
      const leaseId = request.params.lease_id;
      // What a worker reports is scrubbed of its granted secrets before it is stored or shown.
      const body = await scrubForLease(engine, tenantOf(request), leaseId, request.body);
      const assignees = body.assignees ?? [];
      const required = body.required_approvals ?? 1;
      if (assignees.length > 0 && required > assignees.length) {
        throw new ApiError('VALIDATION_ERROR', 'required_approvals cannot exceed the number of assignees', [{ path: 'body.required_approvals', message: 'exceeds assignees' }]);
      }
      return engine.approvals.requestForLease(tenantOf(request), leaseId, {
        key: body.key,
        prompt: body.prompt,
        payload: body.payload ?? null,
        timeout_ms: body.timeout_ms ?? null,
        on_timeout: body.on_timeout ?? 'reject',
        assignees,
        required_approvals: required,
      });
    },
  );
  app.get(
    '/v1/leases/:lease_id/approvals/:id',
    {
      config: { permission: 'worker' },
      schema: {
        tags: ['worker'],
        summary: 'Long-poll an approval until it is settled (or wait_ms passes)',
        params: LeaseApprovalParams,
        querystring: ApprovalWaitQuery,
        response: { 200: Approval, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const p = request.params;
      const abort = new AbortController();
      reply.raw.once('close', () => abort.abort());
      return engine.approvals.waitForLease({ tenantId: tenantOf(request), leaseId: p.lease_id, approvalId: p.id, waitMs: request.query.wait_ms ?? APPROVAL_WAIT_DEFAULT_MS, signal: abort.signal });
    },
  );
}
