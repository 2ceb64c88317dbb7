export { ensureRunFailure, NonRetryableError } from './run-failure.ts';
