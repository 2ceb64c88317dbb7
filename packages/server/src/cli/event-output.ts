import type { Run, RunEvent } from '@agentd/sdk';
import { ExitCode } from './cli-errors.ts';
import { formatEventLine, formatRunSummary, out, printJson, printJsonLine } from './output-format.ts';

/**
 * Prints each event as it arrives: a readable line, or (with json) one JSON object per line.
 * `streamText` (an LLM agent's run, text mode): the model's text is written as it streams, tool
 * calls and results as short lines, the loop's bookkeeping events left out.
 */
export async function printEventStream(events: AsyncIterable<RunEvent>, json: boolean, opts: { streamText?: boolean } = {}): Promise<void> {
  let midLine = false;
  const line = (text: string) => {
    if (midLine) process.stdout.write('\n');
    midLine = false;
    out(text);
  };
  for await (const event of events) {
    if (json) printJsonLine(event);
    else if (!opts.streamText) out(formatEventLine(event));
    else {
      const data = (event.data ?? {}) as Record<string, unknown>;
      // The LLM runtime streams `{text}`, a worker's ctx.outputDelta `{delta}`.
      const text = typeof data.text === 'string' ? data.text : typeof data.delta === 'string' ? data.delta : undefined;
      if (event.type === 'run.output.delta' && text !== undefined) {
        process.stdout.write(text);
        midLine = !text.endsWith('\n');
      } else if (event.type === 'run.tool_call') line(`→ ${String(data.tool)}(${JSON.stringify(data.args ?? {})})`);
      else if (event.type === 'run.tool_result') line(`← ${String(data.tool)}: ${JSON.stringify(data.ok ? data.output : data.error)}`);
      else if (event.type === 'approval.requested') line(`… waiting for approval ${String(data.approval_id)} (agentd approvals approve ${String(data.approval_id)})`);
      else if (LLM_BOOKKEEPING.has(event.type)) continue;
      else line(formatEventLine(event));
    }
  }
  if (midLine) process.stdout.write('\n');
}

/** Events of an LLM run that --follow leaves out in text mode (the step records, reasoning). */
export const LLM_BOOKKEEPING: ReadonlySet<string> = new Set(['run.llm.step', 'run.tool_started', 'run.reasoning.delta', 'run.tool_call.delta', 'run.resumed', 'run.waiting', 'approval.decided']);

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
