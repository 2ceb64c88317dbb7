/** The public face of sessions/: other folders import from here only. */
export { SessionService, DEFAULT_SESSION_IDLE_TTL_MS } from './session-service.ts';
export { sessionRoutes } from './session-routes.ts';
export { chatHistory } from './session-history.ts';
export { applyContextPolicy, contentText, DEFAULT_CONTEXT_POLICY, estimateTokens, type ChatMessage, type ContextPolicy } from './context-window.ts';
