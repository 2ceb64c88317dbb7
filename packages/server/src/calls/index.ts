/** The public face of calls/: other folders import from here only. */
export { callRoutes } from './call-routes.ts';
export { CallService, DEFAULT_CALL_LIMITS } from './call-service.ts';
export type { CallLimits, CallRequest } from './call-service.ts';
