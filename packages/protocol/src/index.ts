export * from './states.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './duration.ts';
export type * from './wire.ts';
export * from './secret-wire.ts';
export * from './schedule-policies.ts';
export type * from './schemas/schedules.ts';
