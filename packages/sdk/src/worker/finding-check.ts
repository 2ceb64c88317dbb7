import { FINDING_SEVERITIES } from '@agentd/protocol';
import type { FindingCreateParams } from '../resources/finding-log-audit-types.ts';

/**
 * Checks what the server would refuse, here, so one bad finding cannot sink a batch of good ones.
 * Throws a TypeError, like `ctx.emit` with a bad name.
 */
export function checkFinding(f: FindingCreateParams): FindingCreateParams {
  if (!f || typeof f !== 'object') throw new TypeError('A finding is an object: { severity, summary, source?, file?, details? }');
  if (!FINDING_SEVERITIES.includes(f.severity)) throw new TypeError(`Invalid finding severity ${JSON.stringify(f.severity)}: use ${FINDING_SEVERITIES.join(', ')}`);
  if (typeof f.summary !== 'string' || f.summary.length === 0 || f.summary.length > 2000) throw new TypeError('A finding needs a summary of 1 to 2000 characters');
  if (f.source !== undefined && (typeof f.source !== 'string' || f.source.length === 0 || f.source.length > 200)) throw new TypeError('A finding source is 1 to 200 characters');
  if (f.file !== undefined && (typeof f.file !== 'string' || f.file.length === 0 || f.file.length > 1000)) throw new TypeError('A finding file is 1 to 1000 characters');
  const out: FindingCreateParams = { severity: f.severity, summary: f.summary };
  if (f.source !== undefined) out.source = f.source;
  if (f.file !== undefined) out.file = f.file;
  if (f.details !== undefined) out.details = f.details;
  return out;
}
