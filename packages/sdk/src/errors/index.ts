export * from './api-errors.ts';
export { makeAPIError } from './make-api-error.ts';
