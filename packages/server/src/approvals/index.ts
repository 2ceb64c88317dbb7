/** The public face of approvals/: other folders import from here only. */
export { ApprovalLinks } from './approval-links.ts';
export { approvalRoutes } from './approval-routes.ts';
export { ApprovalService } from './approval-service.ts';
