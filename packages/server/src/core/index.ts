/** The public face of core/: other folders import from here only. */
export { ManualClock, systemClock } from './clock.ts';
export type { Clock } from './clock.ts';
export { newId } from './ids.ts';
export { TtlCache } from './ttl-cache.ts';
export { iso, isoOrNull, parseJson } from './wire-format.ts';
