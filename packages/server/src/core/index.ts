/** The public face of core/: other folders import from here only. */
export { ManualClock, systemClock } from './clock.ts';
export type { Clock } from './clock.ts';
export { DomainError } from './domain-error.ts';
export { IdGenerator } from './ids.ts';
export { TtlCache } from './ttl-cache.ts';
export { WireFormat, parseJson } from './wire-format.ts';
export { errorContext, silentLogger } from './logger.ts';
export type { Logger } from './logger.ts';
export { DEFAULT_LOOP_FAILURE_THRESHOLD, LoopHealth, LoopMonitor } from './loop-health.ts';
export type { LoopStatus } from './loop-health.ts';
export { canonicalJson } from './canonical-json.ts';
