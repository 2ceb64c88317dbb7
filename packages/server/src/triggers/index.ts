/** The public face of triggers/: other folders import from here only. */
export { hookRoutes } from './hook-routes.ts';
export { triggerRoutes } from './trigger-routes.ts';
export { HookUnverified, TriggerReceiver } from './trigger-receiver.ts';
export type { HookDelivery, TriggerRateCheck } from './trigger-receiver.ts';
export { DEFAULT_TRIGGER_OVERLAP_S, DEFAULT_TRIGGER_RATE, TriggerService } from './trigger-service.ts';
export type { TriggerChange, TriggerSpec } from './trigger-service.ts';
export { compileMapping } from './trigger-mapping.ts';
export { secretProblems } from './trigger-secrets.ts';
