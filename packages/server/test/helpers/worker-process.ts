/**
 * Starts fixtures/test-worker.ts as a child process and reads its JSON lines.
 */
import { resolve } from 'node:path';
import { childEnv, LineProcess, REPO_ROOT } from './server-process.ts';

export const TEST_WORKER = resolve(REPO_ROOT, 'packages/server/test/fixtures/test-worker.ts');

export interface WorkerProcessOptions {
  url: string;
  apiKey: string;
  agent: string;
  endpoint?: string;
  mode: 'echo' | 'sleep' | 'hang' | 'durable' | 'call';
  /** `call` mode: the agent/endpoint the handler calls (ctx.call) with the input's `child_input`. */
  callAgent?: string;
  callEndpoint?: string;
  sleepMs?: number;
  ignoreAbort?: boolean;
  leaseTtlMs?: number;
  shutdownGraceMs?: number;
  concurrency?: number;
  pollWaitMs?: number;
  workerId?: string;
}

/** One stdout line of the test worker (see the fixture for the shapes). */
export interface WorkerLine {
  ev: string;
  t: number;
  [key: string]: any;
}

export class WorkerProcess {
  readonly proc: LineProcess;
  readonly workerId: string;

  constructor(proc: LineProcess, workerId: string) {
    this.proc = proc;
    this.workerId = workerId;
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Every JSON line so far (non-JSON lines are skipped). */
  events(from = 0): WorkerLine[] {
    const parsed: WorkerLine[] = [];
    for (const line of this.proc.lines.slice(from)) {
      try {
        parsed.push(JSON.parse(line) as WorkerLine);
      } catch {
        // not one of ours
      }
    }
    return parsed;
  }

  /** The number of lines so far: pass it as `from` to look only at what comes after. */
  get mark(): number {
    return this.proc.lines.length;
  }

  async waitFor(match: (e: WorkerLine) => boolean, opts: { from?: number; timeoutMs?: number; what?: string } = {}): Promise<WorkerLine> {
    const line = await this.proc.waitForLine(
      (l) => {
        try {
          return match(JSON.parse(l) as WorkerLine);
        } catch {
          return false;
        }
      },
      { ...opts, what: opts.what ? `${opts.what} (worker ${this.workerId})` : undefined },
    );
    return JSON.parse(line) as WorkerLine;
  }

  waitForStart(runId: string, opts: { from?: number; timeoutMs?: number } = {}): Promise<WorkerLine> {
    return this.waitFor((e) => e.ev === 'start' && e.run_id === runId, { ...opts, what: `the start of run ${runId}` });
  }

  signal(signal: NodeJS.Signals) {
    return this.proc.signal(signal);
  }
}

/** Spawns a test worker and waits for its `ready` line. */
export async function startWorkerProcess(o: WorkerProcessOptions): Promise<WorkerProcess> {
  const workerId = o.workerId ?? `tw-${Math.random().toString(36).slice(2, 8)}`;
  const str = (v: number | undefined) => (v === undefined ? undefined : String(v));
  const proc = new LineProcess(process.execPath, [TEST_WORKER], {
    env: childEnv({
      AGENTD_URL: o.url,
      AGENTD_API_KEY: o.apiKey,
      TW_AGENT: o.agent,
      TW_ENDPOINT: o.endpoint,
      TW_MODE: o.mode,
      TW_SLEEP_MS: str(o.sleepMs),
      TW_IGNORE_ABORT: o.ignoreAbort ? '1' : undefined,
      TW_LEASE_TTL_MS: str(o.leaseTtlMs),
      TW_SHUTDOWN_GRACE_MS: str(o.shutdownGraceMs),
      TW_CONCURRENCY: str(o.concurrency),
      TW_POLL_WAIT_MS: str(o.pollWaitMs),
      TW_WORKER_ID: workerId,
      TW_CALL_AGENT: o.callAgent,
      TW_CALL_ENDPOINT: o.callEndpoint,
    }),
  });
  const w = new WorkerProcess(proc, workerId);
  await w.waitFor((e) => e.ev === 'ready', { timeoutMs: 30_000, what: 'ready' });
  return w;
}
