/** The public face of events/: other folders import from here only. */
export { eventRoutes } from './event-routes.ts';
export { EventService, MAX_SEQ, belowHorizon, seqCursor } from './event-service.ts';
