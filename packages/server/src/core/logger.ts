/**
 * What background code needs of a logger: pino's calling convention (context object first, then
 * the message), so the server's Fastify/pino logger is passed in as it is. There is no global
 * logger; whoever starts a loop hands it one.
 */
export interface Logger {
  error(context: object, message: string): void;
  warn(context: object, message: string): void;
  info(context: object, message: string): void;
  debug(context: object, message: string): void;
}

/** For stores and engines opened without a logger (tests, the OpenAPI generator). */
export function silentLogger(): Logger {
  const drop = () => {};
  return { error: drop, warn: drop, info: drop, debug: drop };
}

/** An error as log context: message and code, never the whole object (a pg error carries the query's parameters). */
export function errorContext(err: unknown): { message: string; code?: string; name?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { message: String(err) };
}
