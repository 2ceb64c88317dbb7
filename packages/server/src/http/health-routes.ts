import { Liveness, Readiness } from '@agentd/protocol/schemas';
import type { AppDeps } from './app-config.ts';
import { ApiError, UNAVAILABLE_RETRY_AFTER_S } from './errors.ts';
import { errors } from './error-responses.ts';
import type { RouteApp } from './route-app.ts';

export function healthRoutes(app: RouteApp, { engine }: AppDeps): void {
  app.get(
    '/v1/health',
    {
      config: { permission: 'public' },
      schema: { tags: ['health'], summary: 'Liveness', security: [], response: { 200: Liveness } },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/v1/health/ready',
    {
      config: { permission: 'public' },
      schema: { tags: ['health'], summary: 'Readiness: the database answers and no background loop keeps failing', security: [], response: { 200: Readiness, ...errors(503) } },
    },
    async (request) => {
      try {
        await engine.store.ping();
      } catch (err) {
        request.log.warn({ err }, 'readiness: the database does not answer');
        throw new ApiError('UNAVAILABLE', 'the database does not answer', null, { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_S) });
      }
      // Names and counts only: this route is public, and error messages stay in the server's log.
      const failing = engine.store.loops.failing().map((l) => ({ loop: l.loop, consecutive_failures: l.consecutive_failures, last_failure_at: l.last_failure_at }));
      if (failing.length > 0) throw new ApiError('UNAVAILABLE', `background loop(s) keep failing: ${failing.map((l) => l.loop).join(', ')}`, { failing_loops: failing });
      return { status: 'ready' as const };
    },
  );
}
