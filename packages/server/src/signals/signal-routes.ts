import Type from 'typebox';
import { IdParams, LeaseSignalParams, Signal, SignalParams, SignalPayload, SignalWaitBody, SignalWaitResult } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { errors, tenantOf } from '../http/index.ts';

/** How long one worker poll waits when it does not say. */
const SIGNAL_WAIT_DEFAULT_MS = 20_000;
/** A run's signals listed at most (a run takes few; the newest beyond this are left out). */
const SIGNAL_LIST_MAX = 1000;

export function signalRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/runs/:id/signals/:name',
    {
      config: { permission: 'runs:write' },
      schema: {
        tags: ['runs'],
        summary: 'Send a signal to a run (the JSON body is its payload)',
        description:
          'Accepted (202): the signal is stored and kept until a wait for its name consumes it (the oldest first), so a signal sent before its wait begins is not lost. An ended run answers 409 RUN_ALREADY_TERMINAL. Idempotent by `Idempotency-Key`. The run records `run.signal` with the signal id, name and payload size, never the payload.',
        params: SignalParams,
        body: SignalPayload,
        response: { 202: Signal, ...errors(400, 401, 403, 404, 409, 413, 422) },
      },
    },
    async (request, reply) => {
      const { id, name } = request.params;
      return idempotency.run(request, reply, 202, (record) => engine.signals.send(tenantOf(request), id, name, request.body ?? null, { after: record }));
    },
  );
  app.get(
    '/v1/runs/:id/signals',
    {
      config: { permission: 'read' },
      schema: { tags: ['runs'], summary: "A run's signals, oldest first, with their payloads and who consumed them", params: IdParams, response: { 200: Type.Object({ data: Type.Array(Signal) }), ...errors(401, 403, 404) } },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      await engine.runs.get(tenantId, request.params.id);
      return { data: await engine.signals.list(tenantId, request.params.id, SIGNAL_LIST_MAX) };
    },
  );
  app.post(
    '/v1/leases/:lease_id/signals/:name/wait',
    {
      config: { permission: 'worker' },
      schema: {
        tags: ['worker'],
        summary: 'Long-poll for a signal to this run, consuming it (the oldest of its name)',
        description:
          'Answers `{signal}` as soon as one is consumed, or `{signal: null}` after `wait_ms`. The first poll puts the run `waiting` (reason `signal`); the poll that consumes resumes it, as does a `last` poll that consumes nothing (the wait timed out). `key` names the wait within the run: a later attempt waiting with the same key gets the signal that wait consumed.',
        params: LeaseSignalParams,
        body: SignalWaitBody,
        response: { 200: SignalWaitResult, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { lease_id: leaseId, name } = request.params;
      const abort = new AbortController();
      reply.raw.once('close', () => abort.abort());
      const tenantId = tenantOf(request);
      return { signal: await engine.signals.waitForLease({ tenantId, leaseId, name, key: request.body.key, waitMs: request.body.wait_ms ?? SIGNAL_WAIT_DEFAULT_MS, last: request.body.last ?? false, signal: abort.signal }) };
    },
  );
}
