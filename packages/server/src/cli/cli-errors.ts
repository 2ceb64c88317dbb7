import { APIConnectionError, APIConnectionTimeoutError, APIError, type FieldProblem } from '@agentd/sdk';
import { InvalidArgumentError, type CommanderError } from 'commander';

/** Exit codes of the client commands: scripts branch on them, so they never change meaning. */
export const ExitCode = {
  /** Done; for a waited-on run, it succeeded. */
  ok: 0,
  /** The server refused, could not be reached, or a waited-on run ended failed/cancelled/timed_out. */
  failure: 1,
  /** The command line itself was wrong (bad option, unreadable file, input that is not JSON). */
  usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake in the command line, found before anything was sent: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What an error report may mention: the URL (to say what was unreachable) and the key (to hide it). */
export interface ErrorContext {
  url: string;
  apiKey: string | undefined;
  /** Where the key was looked for when none was found; named in the hint after a 401. */
  missingKeyHint?: string;
}

/**
 * Writes one error to stderr the way every client command does (`agentd: <code>: <message>`, then
 * each field problem) and returns the exit code. The key is masked in whatever is printed, since a
 * proxy's error page or a future server message could echo the Authorization header back.
 */
export function reportError(err: unknown, context: ErrorContext, write: (text: string) => void = (t) => process.stderr.write(t)): ExitCode {
  const lines = describeError(err, context);
  write(`${lines.map((line) => mask(line, context.apiKey)).join('\n')}\n`);
  return err instanceof UsageError ? ExitCode.usage : ExitCode.failure;
}

function describeError(err: unknown, context: ErrorContext): string[] {
  if (err instanceof UsageError) return [`agentd: ${err.message}`];
  if (err instanceof APIConnectionTimeoutError) return [`agentd: no answer from the agentd server at ${safeURL(context.url)} in time`];
  if (err instanceof APIConnectionError) {
    const reason = err.message.replace(/^Connection error:\s*/, '');
    return [`agentd: cannot reach the agentd server at ${safeURL(context.url)} (${reason}); is it running (agentd serve) and is --url right?`];
  }
  if (err instanceof APIError && err.status !== undefined) return describeAPIError(err, context);
  return [`agentd: ${err instanceof Error ? err.message : String(err)}`];
}

function describeAPIError(err: APIError, context: ErrorContext): string[] {
  // The SDK prefixes the server's message with the status ("422 …"); the code already says it.
  const message = err.message.startsWith(`${err.status} `) ? err.message.slice(String(err.status).length + 1) : err.message;
  const lines = [`agentd: ${err.code ?? `HTTP ${err.status}`}: ${message}`, ...detailLines(err.details)];
  if (err.status === 401 && context.missingKeyHint) lines.push(`  hint: ${context.missingKeyHint}`);
  if (err.status !== undefined && err.status >= 500 && err.requestId) lines.push(`  request id: ${err.requestId}`);
  return lines;
}

/** `details` is `[{path, message}]` for validation errors, an object or nothing otherwise. */
function detailLines(details: unknown): string[] {
  if (Array.isArray(details)) {
    return details.map((d) => (isFieldProblem(d) ? `  ${d.path || '(root)'}: ${d.message}` : `  ${JSON.stringify(d)}`));
  }
  if (details && typeof details === 'object') {
    return Object.entries(details).map(([key, value]) => `  ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return [];
}

function isFieldProblem(value: unknown): value is FieldProblem {
  return !!value && typeof value === 'object' && typeof (value as FieldProblem).message === 'string' && typeof (value as FieldProblem).path === 'string';
}

/** Drops `user:password@` from a URL before it is printed. */
export function safeURL(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    // Not a URL at all: the config check rejects those before any request, so this is only a fallback.
    return '(invalid URL)';
  }
}

function mask(text: string, apiKey: string | undefined): string {
  return apiKey && apiKey.length >= 8 ? text.split(apiKey).join(`${apiKey.slice(0, 8)}…`) : text;
}

/**
 * Commander exits with 1 on a bad command line; the client commands promise 2 for that, so a
 * script can tell "you typed it wrong" from "the server said no". Help and --version stay 0.
 */
export function exitWithUsageCode(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? 0 : ExitCode.usage);
}

/** An argParser: an integer within bounds, else a usage error naming the option. */
export function integerOption(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}
