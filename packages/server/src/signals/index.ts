/** The public face of signals/: other folders import from here only. */
export { consumeSignal } from './signal-consumption.ts';
export { toSignal } from './signal-codec.ts';
export { signalRoutes } from './signal-routes.ts';
export { SignalService, type SignalListener } from './signal-service.ts';
