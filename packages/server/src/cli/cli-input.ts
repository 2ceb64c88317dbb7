import { readFileSync } from 'node:fs';
import { UsageError } from './cli-errors.ts';

/**
 * Reads a file named on the command line; `-` is stdin. A failure is a usage error that names the
 * file, since the usual cause is a typo in the path.
 */
export function readTextArgument(file: string, what: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file === '-' ? 'from stdin' : file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * A JSON value given inline (`'{"name":"Ada"}'`), or from a file (`@input.json`) or stdin (`@-`).
 * Not JSON is a usage error naming the option, not a request the server would refuse anyway.
 */
export function parseJsonArgument(value: string, option: string): unknown {
  const text = value.startsWith('@') ? readTextArgument(value.slice(1), `${option} file`) : value;
  try {
    return JSON.parse(text);
  } catch (err) {
    const source = value.startsWith('@') ? ` (from ${value.slice(1) === '-' ? 'stdin' : value.slice(1)})` : '';
    throw new UsageError(`${option} is not valid JSON${source}: ${(err as Error).message}`);
  }
}

/** Like parseJsonArgument, for options that must be a JSON object (`--metadata`). */
export function parseJsonObjectArgument(value: string, option: string): Record<string, unknown> {
  const parsed = parseJsonArgument(value, option);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`${option} must be a JSON object, like '{"team":"search"}'`);
  return parsed as Record<string, unknown>;
}
