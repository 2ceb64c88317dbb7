export * from './states.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './duration.ts';
export * from './secret-name.ts';
export type * from './wire.ts';
export * from './schedule-policies.ts';
export type * from './schemas/schedules.ts';
export type * from './schemas/webhooks.ts';
