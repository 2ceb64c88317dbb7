export * from './states.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './duration.ts';
export type * from './wire.ts';
export * from './secret-wire.ts';
export * from './schemas/webhooks.ts';
