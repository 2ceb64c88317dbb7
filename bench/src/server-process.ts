import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './log.ts';

/** The repository root (bench/src → ../..): the server binary lives under packages/server. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const AGENTD_BIN = join(REPO_ROOT, 'packages', 'server', 'bin', 'agentd.js');

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ServerMemory {
  /** Resident set now (VmRSS), MiB. */
  rssMb: number;
  /** Peak resident set over the process's life (VmHWM), MiB. */
  peakRssMb: number;
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** Reads the child's memory from /proc (Linux); null elsewhere. */
  memory(): ServerMemory | null;
  /** CPU seconds (user + system) the child has used so far, from /proc (Linux); null elsewhere. */
  cpuSeconds(): number | null;
  /** The same for its main thread alone (JavaScript's; the rest is libuv, V8 and worker threads). */
  mainThreadCpuSeconds(): number | null;
  /** SIGTERM (a graceful close, so `--cpu-prof` gets written), then SIGKILL if it hangs. */
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  dataDir: string;
  adminKey: string;
  databaseUrl?: string;
  /** Flags for `node` itself, before the script. */
  nodeArgs: string[];
  /** Extra flags for `agentd serve`. */
  serverArgs: string[];
}

/** A port the OS says is free now; the server binds it a moment later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function readStatusKb(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

/** User + system CPU seconds of process `pid` so far, from /proc (null where it cannot be read). */
export function readCpuSeconds(pid: number, tid?: number): number | null {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime (fields 14, 15)
  } catch {
    return null;
  }
}

const mb = (kb: number): number => Math.round((kb / 1024) * 10) / 10;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `agentd serve` in a child process of its own, so the server has its own CPU thread
 * and its memory can be read apart from the bench's. Resolves once it has printed its
 * listening line.
 */
export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const args = [...opts.nodeArgs, AGENTD_BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', opts.dataDir, '--log-level', 'warn'];
  if (opts.databaseUrl) args.push('--database-url', opts.databaseUrl);
  args.push(...opts.serverArgs);
  // Nothing of the bench's own environment that would change the server's configuration.
  const env: NodeJS.ProcessEnv = { ...process.env, AGENTD_ADMIN_KEY: opts.adminKey };
  for (const k of ['AGENTD_DATABASE_URL', 'AGENTD_PORT', 'AGENTD_HOST', 'AGENTD_DATA_DIR', 'NODE_OPTIONS']) delete env[k];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the agentd server process');

  let stderrTail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
    for (const line of chunk.split('\n')) if (line.trim()) log(`server: ${line}`);
  });

  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let started = false;
    const timer = setTimeout(() => fail(new Error(`the server did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`the server exited during start-up (${signal ?? `code ${code}`}): ${stderrTail.trim() || out.trim()}`));
    function fail(err: Error) {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(err);
    }
    child.once('exit', onExit);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (started) return;
      out += chunk;
      const m = /agentd listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        started = true;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(m[1]);
      }
    });
  });

  let stopping: Promise<void> | null = null;
  return {
    url,
    pid,
    memory() {
      const rss = readStatusKb(pid, 'VmRSS');
      const hwm = readStatusKb(pid, 'VmHWM');
      return rss === null || hwm === null ? null : { rssMb: mb(rss), peakRssMb: mb(hwm) };
    },
    cpuSeconds: () => readCpuSeconds(pid),
    mainThreadCpuSeconds: () => readCpuSeconds(pid, pid),
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          log(`server ${pid} did not stop within ${STOP_TIMEOUT_MS} ms; killing it`);
          child.kill('SIGKILL');
        }, STOP_TIMEOUT_MS);
        await exited(child);
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
