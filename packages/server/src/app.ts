import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@agentd/protocol/schemas';
import type { Engine } from './engine.ts';
import { IdGenerator } from './core/index.ts';
import { DEFAULT_API_CONFIG, Idempotency, OPENAPI_INFO, RateLimits, authHook, clientErrorHandler, declareFrameworkErrors, frameworkErrors, registerRequestGuards, handleError, healthRoutes, loggerOptions, openapiRoutes, registerJsonParser, sendError, serverTimeoutOptions, type ApiConfig, type AppDeps } from './http/index.ts';
import { keyRoutes } from './keys/index.ts';
import { agentRoutes } from './agents/index.ts';
import { runRoutes } from './runs/index.ts';
import { callRoutes } from './calls/index.ts';
import { eventRoutes } from './events/index.ts';
import { workerRoutes, workerScopeHook } from './leases/index.ts';
import { approvalRoutes } from './approvals/index.ts';
import { signalRoutes } from './signals/index.ts';
import { stepRoutes } from './steps/index.ts';
import { secretRoutes } from './secrets/index.ts';
import { grantRoutes } from './secrets/index.ts';
import { findingsLogsRoutes } from './findings/index.ts';
import { auditRoutes, registerAuditHooks } from './audit/index.ts';
import { workflowRoutes } from './workflows/index.ts';
import { scheduleRoutes } from './schedules/index.ts';
import { webhookRoutes } from './webhooks/index.ts';
import { sessionRoutes } from './sessions/index.ts';
import { hookRoutes, triggerRoutes } from './triggers/index.ts';
import { declareManagedConflicts, isManagedRoute, managedGuard, reloadRoutes, type ConfigReloader } from './config-file/index.ts';
import { attachRouteHook, routeMethods } from './http/index.ts';
import { modelRoutes } from './models/index.ts';
import { usageRoutes } from './usage/index.ts';
import { mcpRoutes } from './mcp/index.ts';

/** Builds the HTTP app; listening is the caller's business (tests use `inject`). */
/**
 * `loggerInstance`: a logger shared with the engine's background loops (server.ts); it replaces `config.logger`.
 * `configFile`: the config file of `agentd serve --config` (POST /v1/reload answers 409 without one).
 */
export async function buildApp(opts: { engine: Engine; config?: Partial<ApiConfig>; loggerInstance?: FastifyBaseLogger; configFile?: ConfigReloader }): Promise<FastifyInstance> {
  const config: ApiConfig = { ...DEFAULT_API_CONFIG, ...opts.config };
  // Request ids come from a pool of this app's own (see IdGenerator).
  const ids = new IdGenerator();
  const app = Fastify({
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: loggerOptions(config.logger) }),
    bodyLimit: config.bodyLimit,
    genReqId: () => ids.next('req', Date.now()),
    // Decision-link tokens travel in the path.
    routerOptions: { maxParamLength: 2048 },
    requestIdHeader: false,
    // Slow or stalled clients are cut off instead of holding sockets forever.
    ...serverTimeoutOptions(config),
    clientErrorHandler: clientErrorHandler(ids),
    // Router errors (a bad URL, an over-long parameter) in the one error body too.
    frameworkErrors,
    trustProxy: config.trustProxy ?? false,
    // Long-polls and SSE streams would otherwise hold close() open.
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true } },
  });
  const deps: AppDeps = { engine: opts.engine, config, idempotency: new Idempotency(opts.engine, { retentionMs: config.idempotencyRetentionMs }), configFile: opts.configFile };

  // Every route, as `METHOD /path/{param}`: the OpenAPI test checks each one is documented.
  const routes: string[] = [];
  const permissions = new Map<string, string | null>();
  app.decorate('registeredRoutes', routes);
  app.decorate('routePermissions', permissions);
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      if (m === 'HEAD') continue;
      const route = `${m} ${r.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`;
      routes.push(route);
      permissions.set(route, r.config?.permission ?? null);
    }
  });
  app.addHook('onRoute', declareFrameworkErrors);
  app.addHook('onRoute', declareManagedConflicts);
  app.addSchema(ErrorBody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An agentd API key: agd_…' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });

  registerJsonParser(app);
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const limits = new RateLimits({ config, store: opts.engine.store, onError: (err) => app.log.warn({ err }, 'rate limit: the shared bucket table failed; request let through') });
  app.decorate('rateLimits', limits);
  app.addHook('onClose', async () => limits.close());
  // Every request: its id header, its key (authHook), the key's and tenant's request rates, in
  // one hook rather than three (each hook is a call and a promise on every request).
  const authenticate = authHook(opts.engine, limits);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    await authenticate(request, reply);
    if (!reply.sent) await limits.requestHook(request, reply);
  });
  registerRequestGuards(app);
  registerAuditHooks(app, opts.engine);
  const workerScope = workerScopeHook(opts.engine);
  const managed = managedGuard(opts.engine);
  app.addHook('onRoute', (route) => {
    // After validation (a lease id is bounded by then): a worker key serves only its agents.
    if (route.config?.permission === 'worker') attachRouteHook(route, 'preHandler', workerScope);
    // Writes to what the config file manages are 409 MANAGED_BY_CONFIG unless taken over.
    if (routeMethods(route).some((m) => isManagedRoute(m, route.url))) attachRouteHook(route, 'preHandler', managed);
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => sendError(reply, request, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));

  await app.register(async (plain) => {
    // Types only: handlers see their request typed from the route schemas; Ajv still validates.
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    healthRoutes(scope, deps);
    keyRoutes(scope, deps);
    agentRoutes(scope, deps);
    runRoutes(scope, deps);
    eventRoutes(scope, deps);
    workerRoutes(scope, deps);
    callRoutes(scope, deps);
    approvalRoutes(scope, deps);
    signalRoutes(scope, deps);
    stepRoutes(scope, deps);
    secretRoutes(scope, deps);
    grantRoutes(scope, deps);
    findingsLogsRoutes(scope, deps);
    auditRoutes(scope, deps);
    workflowRoutes(scope, deps);
    scheduleRoutes(scope, deps);
    sessionRoutes(scope, deps);
    webhookRoutes(scope, deps);
    triggerRoutes(scope, deps);
    hookRoutes(scope, deps);
    reloadRoutes(scope, deps);
    modelRoutes(scope, deps);
    usageRoutes(scope, deps);
    mcpRoutes(scope, deps);
    openapiRoutes(scope);
  });
  await app.ready();
  return app;
}
