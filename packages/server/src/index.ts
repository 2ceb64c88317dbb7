/** The agentd server as a library: build the app yourself, or start it like `agentd serve`. */
export { buildApp } from './app.ts';
export { DEFAULT_API_CONFIG, type ApiConfig } from './http/index.ts';
export { resolveServeConfig, type ServeConfig } from './config.ts';
export { createEngine, type Engine } from './engine.ts';
export { ManualClock, systemClock, type Clock } from './core/index.ts';
export { startServer, type RunningServer } from './server.ts';
export { openStore, type Store, type StoreOptions } from './store/index.ts';
