import type { Task } from '@agentd/protocol';
import type { WorkerLogger } from './worker-logger.ts';

/** The secrets delivered with one task: those granted to its agent (and endpoint), for this run only. */
export interface TaskSecrets {
  /**
   * The value of a granted secret. Throws `SecretNotGrantedError`, naming the missing grant, for
   * any other name.
   * @example const apiKey = ctx.secrets.get('openai_key');
   */
  get(name: string): string;
  has(name: string): boolean;
  /** The names delivered with this task. */
  names(): string[];
}

/**
 * A handler asked for a secret its agent (or endpoint) is not granted. Retried like any failure:
 * a grant added in the meantime is delivered with the next lease.
 */
export class SecretNotGrantedError extends Error {
  override name = 'SecretNotGrantedError';
  readonly type = 'secret_not_granted';
  readonly details: { secret: string; agent: string; endpoint: string };

  readonly withheld: Task['secrets_withheld'] | null;

  constructor(secret: string, task: Pick<Task, 'agent' | 'endpoint' | 'secrets_withheld'>) {
    // A key that receives no secrets (admin, or a worker key for ["*"]) is the likelier cause then.
    super(
      task.secrets_withheld
        ? `secret ${JSON.stringify(secret)} was not delivered: ${task.secrets_withheld.message}`
        : `secret ${JSON.stringify(secret)} is not granted to agent ${JSON.stringify(task.agent)} (endpoint ${task.endpoint}); ` +
            `grant it with: agentd grants add ${secret} ${task.agent} [--endpoint ${task.endpoint}]`,
    );
    this.details = { secret, agent: task.agent, endpoint: task.endpoint };
    this.withheld = task.secrets_withheld ?? null;
  }
}

/** The values live in a closure: logging or serialising `ctx.secrets` shows none of them. */
export function createTaskSecrets(task: Task): TaskSecrets {
  const values = new Map(Object.entries(task.secrets ?? {}));
  return {
    get: (name) => {
      const value = values.get(name);
      if (value === undefined) throw new SecretNotGrantedError(name, task);
      return value;
    },
    has: (name) => values.has(name),
    names: () => [...values.keys()],
  };
}

/** The task without its secret values: what `ctx.task` shows, so logging it leaks nothing. */
export function withoutSecrets(task: Task): Task {
  const { secrets: _secrets, ...rest } = task;
  return rest;
}

/** Shorter values are left alone: redacting every "a" would wreck log lines and protect nothing. */
const MIN_REDACT_LENGTH = 4;

/** Replaces every delivered value with `[redacted:<name>]` in strings, deep inside objects too. */
export function createRedactor(secrets: Record<string, string> | undefined): (<T>(value: T) => T) | null {
  const entries = Object.entries(secrets ?? {})
    .filter(([, v]) => v.length >= MIN_REDACT_LENGTH)
    .sort((a, b) => b[1].length - a[1].length);
  if (entries.length === 0) return null;
  const text = (s: string): string => entries.reduce((acc, [name, v]) => (acc.includes(v) ? acc.split(v).join(`[redacted:${name}]`) : acc), s);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && !(v instanceof Error)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), walk(x)]));
    return v;
  };
  return <T>(value: T): T => walk(value) as T;
}

/** The worker's own log lines about a task, with the task's secret values redacted. */
export function redactingLogger(logger: WorkerLogger, secrets: Record<string, string> | undefined): WorkerLogger {
  const redact = createRedactor(secrets);
  if (!redact) return logger;
  const f = (fields: Record<string, unknown> | undefined) => (fields === undefined ? undefined : redact(fields));
  // Called as methods: a logger may be a class instance that needs its `this`.
  return {
    debug: (m, fields) => logger.debug(redact(m), f(fields)),
    info: (m, fields) => logger.info(redact(m), f(fields)),
    warn: (m, fields) => logger.warn(redact(m), f(fields)),
    error: (m, fields) => logger.error(redact(m), f(fields)),
  };
}
