/** The public face of agents/: other folders import from here only. */
export { agentRoutes } from './agent-routes.ts';
export { AgentService } from './agent-service.ts';
