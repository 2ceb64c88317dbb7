import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

/**
 * The app as route registrations see it: each handler's `request.body`, `params` and `query`
 * are typed from the route's TypeBox schemas (`@agentd/protocol/schemas`), and its answer is
 * checked against the response schemas. The provider only types: validation stays the app's Ajv
 * (coercion, defaults, the VALIDATION_ERROR body), so making it changes no behaviour.
 */
export type RouteApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;
