/** The public face of keys/: other folders import from here only. */
export { keyRoutes } from './key-routes.ts';
export { KeyService, hashKey } from './key-service.ts';
export type { Principal } from './key-service.ts';
export { TenantService } from './tenant-service.ts';
export { mayServe, receivesSecrets, secretsWithheld, servesEveryAgent } from './key-scope.ts';
export type { KeyScope } from './key-scope.ts';
