import { compileUserSchema, schemaProblems, type ValidateFunction } from '@agentd/protocol/manifest';
import { EgressRefusedError, ReplyTooLargeError } from '../egress/index.ts';
import { createScrubber } from '../secrets/index.ts';
import type { ToolOutcome } from './tool.ts';

/** The caps of one tool call (TESTPLAN 28). */
export interface ToolCaps {
  /** Bytes of a reply read before the call fails with TOOL_REPLY_TOO_LARGE. Default 1 MiB. */
  maxReplyBytes: number;
  /** Time from the call to its whole reply before it fails with TOOL_TIMEOUT. Default 30 s. */
  timeoutMs: number;
}

export const DEFAULT_TOOL_CAPS: ToolCaps = { maxReplyBytes: 1024 * 1024, timeoutMs: 30_000 };

export const toolError = (code: string, message: string): ToolOutcome => ({ ok: false, error: { code, message } });

/**
 * A tool's input schema as it is compiled and offered to the model: without its top-level
 * `$schema` (a draft's URI, e.g. draft-07 from zod-to-json-schema), which the 2020-12 compiler
 * refuses and which the model has no use for (some providers reject unknown keywords).
 */
export function withoutSchemaKeyword(schema: Record<string, unknown>): Record<string, unknown> {
  if (!('$schema' in schema)) return schema;
  const { $schema: _drop, ...rest } = schema;
  return rest;
}

/**
 * The arguments' validator, compiled once per tool with the project's JSON Schema compiler (the
 * one endpoint inputs use). A `$schema` naming another draft is dropped: tools are judged by
 * 2020-12, the draft MCP and the model providers use.
 */
export function argsValidator(schema: Record<string, unknown>): (args: unknown) => ToolOutcome | null {
  let validate: ValidateFunction;
  try {
    validate = compileUserSchema(withoutSchemaKeyword(schema));
  } catch (err) {
    const why = (err as Error).message;
    return () => toolError('TOOL_SCHEMA_INVALID', `the tool's input schema does not compile: ${why}`);
  }
  return (args) => {
    if (validate(args)) return null;
    const problems = schemaProblems('arguments', validate.errors).map((p) => `${p.path}: ${p.message}`);
    return toolError('TOOL_ARGUMENTS_INVALID', `the arguments do not match the tool's schema: ${problems.slice(0, 10).join('; ')}`);
  };
}

/** The call's signal with the time cap added; `clear` drops the timer when the call ends first. */
export function capSignal(signal: AbortSignal, timeoutMs: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
}

/**
 * What the model is told of a failed call: the cap that tripped, the egress refusal, or the
 * error's message (a tool's error text never holds a secret: it is redacted by the caller).
 */
export function outcomeOfError(err: unknown, ctx: { signal: AbortSignal; callerSignal: AbortSignal; caps: ToolCaps }): ToolOutcome {
  const chain = causes(err);
  const tooLarge = chain.find((e): e is ReplyTooLargeError => e instanceof ReplyTooLargeError);
  if (tooLarge) return toolError('TOOL_REPLY_TOO_LARGE', `the tool's reply is larger than the cap of ${ctx.caps.maxReplyBytes} bytes; it was cut off`);
  const refused = chain.find((e): e is EgressRefusedError => e instanceof EgressRefusedError);
  if (refused) return toolError('EGRESS_REFUSED', refused.message);
  if (ctx.callerSignal.aborted) return toolError('TOOL_CANCELLED', 'the call was cancelled');
  if (ctx.signal.aborted) return toolError('TOOL_TIMEOUT', `the tool did not reply within the cap of ${ctx.caps.timeoutMs} ms`);
  return toolError('TOOL_FAILED', (err as Error)?.message ?? String(err));
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err, i = 0; e != null && i < 8; e = (e as { cause?: unknown }).cause, i++) out.push(e);
  return out;
}

/**
 * Every occurrence of a secret's value in a tool's outcome replaced by `[redacted]` (a server
 * that echoes its Authorization header must not hand the model the key), in the forms it takes
 * inside a JSON string or a URL too (the secrets module's scrubber). Values shorter than 4
 * characters are not looked for: they would redact ordinary text.
 */
export function redact<T>(value: T, secrets: readonly string[]): T {
  return createScrubber(secrets.map((v) => ({ name: '', value: v })), { marker: () => '[redacted]' })(value);
}
