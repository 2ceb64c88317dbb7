/**
 * Real child processes for crash tests: the `agentd serve` binary (kill -9 it, restart it on the
 * same data) and any line-printing script (see worker-process.ts). Every child is tracked and
 * SIGKILLed by `killAllChildren()` (call it from `after` hooks) and, as a last resort, when this
 * process exits, so a failing test leaks nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');
export const AGENTD_BIN = resolve(REPO_ROOT, 'packages/server/bin/agentd.js');

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<ChildProcess>();

process.once('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** SIGKILLs every child still running (stopped ones too) and waits until they are gone. */
export async function killAllChildren(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** The environment for a child: this one's without AGENTD_* and node:test's own variables. */
export function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // The tenant-scope guard (set by scripts/test.ts) reaches every server a test starts.
    if (k === 'AGENTD_CHECK_TENANT_SCOPE') {
      env[k] = v;
      continue;
    }
    if (k.startsWith('AGENTD_') || k.startsWith('NODE_TEST') || k.startsWith('TW_')) continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** A random key of the server's own shape (`agd_` + 40 characters). */
export function generateAdminKey(): string {
  return `agd_${randomBytes(30).toString('base64url').replace(/[-_]/g, 'x')}`;
}

/** Polls `check` until it returns a truthy value (which is returned) or `timeoutMs` passes. */
export async function waitUntil<T>(check: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 20_000} ms waiting for ${opts.what ?? 'a condition'}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}

/**
 * A child whose stdout is read line by line. Lines are kept (all of them) and can be waited for;
 * stderr keeps its last 64 KiB for error messages.
 */
export class LineProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: string[] = [];
  readonly exited: Promise<ExitInfo>;
  exit: ExitInfo | null = null;
  #stderr = '';
  #partial = '';
  #closed = false;
  readonly #waiters = new Set<() => void>();

  constructor(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }) {
    this.child = spawn(command, args, { env: options.env, cwd: options.cwd ?? REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) throw new Error(`could not spawn ${command} ${args.join(' ')}`);
    this.pid = this.child.pid;
    live.add(this.child);
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop()!;
      for (const line of parts) this.lines.push(line);
      if (parts.length > 0) this.#notify();
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-65_536);
    });
    this.exited = new Promise((done) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        this.exit = { code, signal };
        done(this.exit);
      });
    });
    // Output that was still in the pipe arrives before 'close'; wake waiters once more then.
    this.child.once('close', () => {
      if (this.#partial) this.lines.push(this.#partial);
      this.#partial = '';
      this.#closed = true;
      this.#notify();
    });
  }

  get running(): boolean {
    return this.exit === null;
  }

  get stderr(): string {
    return this.#stderr;
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves with the first line from index `from` on that `match` accepts. Rejects on exit or timeout. */
  waitForLine(match: (line: string) => boolean, opts: { from?: number; timeoutMs?: number; what?: string } = {}): Promise<string> {
    const timeoutMs = opts.timeoutMs ?? 20_000;
    let next = opts.from ?? 0;
    return new Promise((resolvePromise, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | null, line?: string) => {
        this.#waiters.delete(check);
        clearTimeout(timer);
        if (err) reject(err);
        else resolvePromise(line!);
      };
      const check = () => {
        for (; next < this.lines.length; next++) {
          if (match(this.lines[next])) return finish(null, this.lines[next]);
        }
        if (this.#closed) finish(new Error(`process ${this.pid} ended (${JSON.stringify(this.exit)}) before ${opts.what ?? 'the expected line'}; stderr:\n${this.#stderr}`));
      };
      this.#waiters.add(check);
      timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a line'} from process ${this.pid}; stderr:\n${this.#stderr}`)), timeoutMs);
      check();
    });
  }

  /** Sends a signal. SIGKILL/SIGTERM/SIGINT wait for the exit; SIGSTOP/SIGCONT return at once. */
  async signal(signal: NodeJS.Signals): Promise<ExitInfo | null> {
    if (!this.running) return this.exit;
    this.child.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return null;
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<ExitInfo> {
    if (!this.running) return this.exit!;
    this.child.kill('SIGCONT'); // a stopped process would never act on SIGTERM
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface ServerProcessOptions {
  /** Data directory; the SQLite file lives here unless `databaseUrl` is given. */
  dataDir: string;
  databaseUrl?: string;
  /** Seeded through AGENTD_ADMIN_KEY; generated when absent. */
  adminKey?: string;
  /** AGENTD_SWEEP_INTERVAL. Default `200ms`. */
  sweepInterval?: string;
  /** Default `warn`. */
  logLevel?: string;
  /** Extra environment (AGENTD_SQLITE_SYNCHRONOUS, …). */
  env?: Record<string, string>;
  /** Spawn to ready. Default 30 s. */
  readyTimeoutMs?: number;
  /** More arguments of `agentd serve` (`--config agentd.yaml`). */
  args?: string[];
}

const LISTENING = /^agentd listening on (http:\/\/\S+) /;

/**
 * `agentd serve` as a child process on 127.0.0.1. The first start takes a free port (learned from
 * the `agentd listening on …` line); restarts ask for the same port so clients keep their URL,
 * falling back to a new one if it was taken meanwhile (read `url` again after a restart).
 */
export class ServerProcess {
  readonly options: ServerProcessOptions;
  readonly adminKey: string;
  url = '';
  port = 0;
  /** Spawn-to-ready time of each start, first start included. */
  readonly readyMs: number[] = [];
  /** Every process started, oldest first; the last one is the current one. */
  readonly processes: LineProcess[] = [];

  constructor(options: ServerProcessOptions) {
    this.options = options;
    this.adminKey = options.adminKey ?? generateAdminKey();
  }

  get current(): LineProcess | undefined {
    return this.processes.at(-1);
  }

  get running(): boolean {
    return this.current?.running ?? false;
  }

  get pid(): number | undefined {
    return this.current?.pid;
  }

  /** Starts the server and waits for `/v1/health/ready`; returns the spawn-to-ready time in ms. */
  async start(): Promise<number> {
    if (this.running) throw new Error('the server process is already running');
    if (this.port !== 0) {
      try {
        return await this.#startOn(this.port);
      } catch (err) {
        if (!/EADDRINUSE/.test((err as Error).message)) throw err;
      }
    }
    return this.#startOn(0);
  }

  async #startOn(port: number): Promise<number> {
    const { dataDir, databaseUrl, sweepInterval = '200ms', logLevel = 'warn', env = {}, readyTimeoutMs = 30_000 } = this.options;
    const args = [AGENTD_BIN, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--log-level', logLevel];
    if (databaseUrl) args.push('--database-url', databaseUrl);
    args.push(...(this.options.args ?? []));
    const began = performance.now();
    const proc = new LineProcess(process.execPath, args, {
      env: childEnv({ ...env, AGENTD_ADMIN_KEY: this.adminKey, AGENTD_SWEEP_INTERVAL: sweepInterval }),
    });
    this.processes.push(proc);
    const line = await proc.waitForLine((l) => LISTENING.test(l), { timeoutMs: readyTimeoutMs, what: 'the "agentd listening on" line' });
    const url = LISTENING.exec(line)![1];
    this.url = url;
    this.port = Number(new URL(url).port);
    await waitUntil(
      async () => {
        if (!proc.running) throw new Error(`the server exited (${JSON.stringify(proc.exit)}) before it was ready; stderr:\n${proc.stderr}`);
        try {
          const res = await fetch(`${url}/v1/health/ready`, { signal: AbortSignal.timeout(2000) });
          await res.body?.cancel();
          return res.status === 200;
        } catch {
          return false;
        }
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 10, what: `${url}/v1/health/ready` },
    );
    const ms = performance.now() - began;
    this.readyMs.push(ms);
    return ms;
  }

  /** Sends `signal` (default SIGKILL) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo | null> {
    const proc = this.current;
    if (!proc) return null;
    return proc.signal(signal);
  }

  /** Starts again on the same data (gracefully stopping the current process first if it runs). */
  async restart(): Promise<number> {
    if (this.running) await this.stop();
    return this.start();
  }

  /** SIGTERM, SIGKILL after `graceMs`. Safe to call at any time, any number of times. */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all(this.processes.filter((p) => p.running).map((p) => p.stop(graceMs)));
  }

  /** A request with the admin key (or `key`), JSON in and out (`Accept: application/json`, so event lists are pages, not SSE). */
  async api<T = any>(method: string, path: string, body?: unknown, key: string = this.adminKey): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }
}

/** Starts `agentd serve` and waits until it is ready. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const server = new ServerProcess(options);
  await server.start();
  return server;
}
