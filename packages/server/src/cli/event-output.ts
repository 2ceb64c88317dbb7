import type { Run, RunEvent } from '@agentd/sdk';
import { ExitCode } from './cli-errors.ts';
import { formatEventLine, formatRunSummary, out, printJson, printJsonLine } from './output-format.ts';

/** Prints each event as it arrives: a readable line, or (with json) one JSON object per line. */
export async function printEventStream(events: AsyncIterable<RunEvent>, json: boolean): Promise<void> {
  for await (const event of events) {
    if (json) printJsonLine(event);
    else out(formatEventLine(event));
  }
}

/** Prints a run that has ended and returns the exit code it stands for. */
export function printFinalRun(run: Run, format: 'json' | 'json-line' | 'text'): ExitCode {
  if (format === 'json') printJson(run);
  else if (format === 'json-line') printJsonLine(run);
  else out(formatRunSummary(run));
  return run.status === 'succeeded' ? ExitCode.ok : ExitCode.failure;
}

/**
 * Ctrl-C while waiting only stops this process: the run goes on, which a person might not expect,
 * so say so. Returns the function that removes the handler.
 */
export function explainInterrupt(message: () => string): () => void {
  const onSigint = () => {
    process.stderr.write(`\nagentd: ${message()}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  return () => process.removeListener('SIGINT', onSigint);
}
