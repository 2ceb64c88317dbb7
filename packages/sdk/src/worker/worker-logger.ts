/** Where the worker reports its own doings (lease errors, refused completions). */
export interface WorkerLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function line(message: string, fields?: Record<string, unknown>): string {
  return fields && Object.keys(fields).length > 0 ? `[agentd worker] ${message} ${safeJson(fields)}` : `[agentd worker] ${message}`;
}

function safeJson(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields);
  } catch {
    // A cyclic field must not turn a log line into a crash.
    return String(fields);
  }
}

/**
 * The default: info and up to the console, debug only with `AGENTD_DEBUG` set.
 * @example
 * new Worker({ client, agent: 'greeter', endpoints, logger: createConsoleLogger({ debug: true }) });
 */
export function createConsoleLogger(options: { debug?: boolean } = {}): WorkerLogger {
  const debug = options.debug ?? Boolean(process.env.AGENTD_DEBUG);
  return {
    debug: (m, f) => {
      if (debug) console.debug(line(m, f));
    },
    info: (m, f) => console.info(line(m, f)),
    warn: (m, f) => console.warn(line(m, f)),
    error: (m, f) => console.error(line(m, f)),
  };
}

/** Discards everything; for tests. */
export const silentLogger: WorkerLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The fields worth logging about an error, without its stack. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; status?: unknown };
    return { error: e.message, error_name: e.name, code: e.code, status: e.status };
  }
  return { error: String(err) };
}
