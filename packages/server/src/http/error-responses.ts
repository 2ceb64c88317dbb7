/** The error responses a route declares, for its schema and the OpenAPI document. */
import Type from 'typebox';

/** Error responses by status, each the one error body. A route that takes a key (401) can also be rate limited (429). */
export const errors = (...statuses: number[]) =>
  Object.fromEntries((statuses.includes(401) && !statuses.includes(429) ? [...statuses, 429] : statuses).map((s) => [s, Type.Ref('ErrorBody')]));
