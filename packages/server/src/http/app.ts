import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Engine } from '../engine.ts';
import { newId } from '../core/index.ts';
import { authHook } from './auth.ts';
import { handleError, sendError } from './errors.ts';
import { clientErrorHandler, frameworkErrors } from './framework-errors.ts';
import { declareFrameworkErrors } from './declared-errors.ts';
import { registerRequestGuards } from './request-guards.ts';
import { Idempotency } from './idempotency.ts';
import { registerJsonParser } from './json-body.ts';
import { ErrorBody } from './schemas.ts';
import { healthRoutes } from './health-routes.ts';
import { keyRoutes } from '../keys/index.ts';
import { agentRoutes } from '../agents/index.ts';
import { runRoutes } from '../runs/index.ts';
import { eventRoutes } from '../events/index.ts';
import { workerRoutes } from '../leases/index.ts';
import { approvalRoutes } from '../approvals/index.ts';
import { secretRoutes } from '../secrets/index.ts';
import { grantRoutes } from '../secrets/index.ts';
import { openapiRoutes, OPENAPI_INFO } from './openapi-routes.ts';
import { findingsLogsAuditRoutes } from '../findings/index.ts';
import { registerAuditHooks } from '../audit/index.ts';

export interface ApiConfig {
  /** Largest request body, bytes. Default 1 MiB. */
  bodyLimit: number;
  /** Largest body of the batch routes, bytes. Default 16 MiB. */
  batchBodyLimit: number;
  /** How long an Idempotency-Key's response is kept, ms. Default 24 h. */
  idempotencyRetentionMs: number;
  /** SSE comment-frame interval, ms. Default 15 s. */
  sseHeartbeatMs: number;
  /** Streams re-read the database this often even without a wake-up, ms. Default 2 s. */
  streamRecheckMs: number;
  /** Default worker lease TTL, ms. Default 30 s. */
  leaseTtlMs: number;
  /** Default long-poll wait, ms. Default 20 s. */
  leaseWaitMs: number;
  /** pino logger options, or false. Default false. */
  logger: boolean | Record<string, unknown>;
}

export const DEFAULT_API_CONFIG: ApiConfig = {
  bodyLimit: 1024 * 1024,
  batchBodyLimit: 16 * 1024 * 1024,
  idempotencyRetentionMs: 24 * 3_600_000,
  sseHeartbeatMs: 15_000,
  streamRecheckMs: 2_000,
  leaseTtlMs: 30_000,
  leaseWaitMs: 20_000,
  logger: false,
};

declare module 'fastify' {
  interface FastifyInstance {
    registeredRoutes: string[];
  }
}

export interface AppDeps {
  engine: Engine;
  config: ApiConfig;
  idempotency: Idempotency;
}

/** Builds the HTTP app; listening is the caller's business (tests use `inject`). */
export async function buildApp(opts: { engine: Engine; config?: Partial<ApiConfig> }): Promise<FastifyInstance> {
  const config: ApiConfig = { ...DEFAULT_API_CONFIG, ...opts.config };
  const app = Fastify({
    logger: config.logger,
    bodyLimit: config.bodyLimit,
    genReqId: () => newId('req'),
    // Decision-link tokens travel in the path.
    routerOptions: { maxParamLength: 2048 },
    requestIdHeader: false,
    // Slow or stalled clients are cut off instead of holding sockets forever.
    connectionTimeout: 0,
    // Long-polls and SSE streams would otherwise hold close() open.
    forceCloseConnections: true,
    requestTimeout: 120_000,
    // Router and HTTP-parser errors in the one error body too.
    frameworkErrors,
    clientErrorHandler,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true } },
  });
  const deps: AppDeps = { engine: opts.engine, config, idempotency: new Idempotency(opts.engine, { retentionMs: config.idempotencyRetentionMs }) };

  // Every route, as `METHOD /path/{param}`: the OpenAPI test checks each one is documented.
  const routes: string[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) if (m !== 'HEAD') routes.push(`${m} ${r.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
  });
  app.addHook('onRoute', declareFrameworkErrors);
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
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onRequest', authHook(opts.engine));
  registerRequestGuards(app);
  registerAuditHooks(app, opts.engine);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => sendError(reply, request, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));

  await app.register(async (scope) => {
    healthRoutes(scope, deps);
    keyRoutes(scope, deps);
    agentRoutes(scope, deps);
    runRoutes(scope, deps);
    eventRoutes(scope, deps);
    workerRoutes(scope, deps);
    approvalRoutes(scope, deps);
    secretRoutes(scope, deps);
    grantRoutes(scope, deps);
    findingsLogsAuditRoutes(scope, deps);
    openapiRoutes(scope);
  });
  await app.ready();
  return app;
}
