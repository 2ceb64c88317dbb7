import type { Run, RunEvent } from '@agentd/sdk';

/**
 * Output of the client commands. Results go to stdout (so they can be piped); notes meant for a
 * person (hints, warnings) go to stderr. `--json` output is exactly the API's objects.
 */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function note(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Indented JSON, for one object a person may also read. */
export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** One line of JSON, for streams read line by line (NDJSON). */
export function printJsonLine(value: unknown): void {
  out(JSON.stringify(value));
}

/** A plain-text table: a header row, then rows, columns padded to their widest cell. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `2026-11-22 22:55:36`: second precision, UTC, readable in a table. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/** `850ms`, `30s`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** From start to end (or to now while it is still going); `-` before it started. */
export function runDuration(run: Run): string {
  if (!run.started_at) return '-';
  const end = run.finished_at ? Date.parse(run.finished_at) : Date.now();
  return formatDuration(Math.max(0, end - Date.parse(run.started_at)));
}

/** `   3  run.log            {"level":"info","message":"hi"}`: one event per line. */
export function formatEventLine(event: RunEvent): string {
  return `${String(event.seq).padStart(4)}  ${event.type.padEnd(16)}  ${JSON.stringify(event.data ?? {})}`;
}

/**
 * The few lines a person wants after a run ends: its status, how long and how many attempts it
 * took, then the output (indented JSON) or the failure.
 */
export function formatRunSummary(run: Run): string {
  const attempts = `after ${run.attempts} ${run.attempts === 1 ? 'attempt' : 'attempts'}`;
  const head = `run ${run.id} (${run.agent}/${run.endpoint}) ${run.status}`;
  if (run.status === 'succeeded') return `${head} in ${runDuration(run)} ${attempts}\noutput:\n${JSON.stringify(run.output, null, 2)}`;
  const lines = [`${head} ${attempts}`];
  if (run.error) lines.push(`error: ${run.error.type}: ${run.error.message}`);
  return lines.join('\n');
}

/** Every field of a run, one per line, for `runs get`. */
export function formatRunDetails(run: Run): string {
  const rows: [string, string][] = [
    ['id', run.id],
    ['agent', `${run.agent}/${run.endpoint} (version ${run.agent_version})`],
    ['status', run.waiting_reason ? `${run.status} (${run.waiting_reason})` : run.status],
    ['attempts', `${run.attempts} of ${run.max_attempts}`],
    ['priority', String(run.priority)],
    ['generation', String(run.generation)],
    ['timeout', formatDuration(run.timeout_ms)],
    ['deadline', shortTime(run.deadline_at)],
    ['created', shortTime(run.created_at)],
    ['started', shortTime(run.started_at)],
    ['finished', shortTime(run.finished_at)],
    ['duration', runDuration(run)],
    ['input', JSON.stringify(run.input)],
    ['output', run.output === null || run.output === undefined ? '-' : JSON.stringify(run.output)],
    ['error', run.error ? `${run.error.type}: ${run.error.message}${run.error.non_retryable ? ' (non-retryable)' : ''}` : '-'],
    ['metadata', JSON.stringify(run.metadata ?? {})],
  ];
  return formatFields(rows);
}

/** `key:   value` lines with the values aligned. */
export function formatFields(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`).join('\n');
}
