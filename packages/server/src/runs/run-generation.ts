import type { Run } from '@agentd/protocol';
import { ApiError } from '../http/index.ts';

/** A run's `ETag`: its generation, quoted (a strong validator: any change bumps it). */
export const etagOf = (run: Pick<Run, 'generation'>): string => `"${run.generation}"`;

/**
 * The generation a PATCH is based on: the body's field, or `If-Match` (`"3"`, `W/"3"` or `3`).
 * One of them is required, and when both are sent they must agree: a change with no base could
 * overwrite one it never saw.
 */
export function generationOf(body: number | undefined, ifMatch: string | string[] | undefined): number {
  const header = Array.isArray(ifMatch) ? ifMatch[0] : ifMatch;
  let fromHeader: number | undefined;
  if (header !== undefined) {
    const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
    if (!m) throw new ApiError('VALIDATION_ERROR', 'If-Match must be the run\'s generation as its ETag shows it ("3")', [{ path: 'headers.if-match', message: 'must be "<generation>"' }]);
    fromHeader = Number(m[1]);
  }
  if (body !== undefined && fromHeader !== undefined && body !== fromHeader) {
    throw new ApiError('VALIDATION_ERROR', `generation ${body} and If-Match ${header} disagree`, [{ path: 'generation', message: 'must equal If-Match' }]);
  }
  const generation = body ?? fromHeader;
  if (generation === undefined) throw new ApiError('VALIDATION_ERROR', 'send the generation the change is based on (the body\'s generation, or If-Match)', [{ path: 'generation', message: 'is required (or If-Match)' }]);
  return generation;
}
