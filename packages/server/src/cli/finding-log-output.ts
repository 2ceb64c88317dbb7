import type { AuditRecord, Finding, LogLine } from '@agentd/sdk';
import { formatTable, shortTime } from './output-format.ts';

/** `   12  critical  src/db.ts:14  SQL injection  (run_…, semgrep)`: one finding per line, for --follow. */
export function formatFindingLine(f: Finding): string {
  const origin = [f.run_id, f.source].filter(Boolean).join(', ');
  return `${f.id.padStart(5)}  ${f.severity.padEnd(8)}  ${f.file ?? '-'}  ${f.summary}  (${origin})`;
}

export function formatFindingTable(findings: Finding[]): string {
  return formatTable(
    ['ID', 'SEVERITY', 'RUN', 'AGENT', 'SOURCE', 'FILE', 'SUMMARY'],
    findings.map((f) => [f.id, f.severity, f.run_id, f.agent, f.source ?? '-', f.file ?? '-', oneLine(f.summary)]),
  );
}

/** `2026-06-01 10:00:00  WARN   disk almost full  {"free_mb":12}` */
export function formatLogLine(line: LogLine): string {
  const fields = line.fields ? `  ${JSON.stringify(line.fields)}` : '';
  return `${shortTime(line.at)}  ${line.level.toUpperCase().padEnd(5)}  ${line.message}${fields}`;
}

export function formatAuditTable(records: AuditRecord[]): string {
  return formatTable(
    ['AT', 'ACTOR', 'ROLE', 'ACTION', 'TARGET', 'OUTCOME', 'REQUEST'],
    records.map((r) => [
      shortTime(r.at),
      r.actor ?? 'system',
      r.actor_role ?? '-',
      r.action,
      r.target_type ? `${r.target_type}${r.target_id ? `:${r.target_id}` : ''}` : '-',
      `${r.outcome}${r.status_code ? ` ${r.status_code}` : ''}${typeof r.details.error_code === 'string' ? ` ${r.details.error_code}` : ''}`,
      r.request_id ?? '-',
    ]),
  );
}

/** A table cell must not break the table: summaries may hold newlines. */
const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ');

/**
 * An AbortSignal that Ctrl-C aborts, so a `--follow` loop ends cleanly (exit 0) instead of the
 * process dying mid-write. `done()` removes the handler.
 */
export function interruptSignal(): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, done: () => process.removeListener('SIGINT', onSigint) };
}

/** Waits `ms`, or less if `signal` aborts first; never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
