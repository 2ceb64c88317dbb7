/** The public face of steps/: other folders import from here only. */
export { StepService } from './step-service.ts';
export { stepRoutes } from './step-routes.ts';
