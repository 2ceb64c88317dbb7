import type { ServerResponse } from 'node:http';
import type { Task } from '@agentd/protocol';
import type { CompletionItem, CompletionResult } from '../../src/index.ts';
import { sendError, sendJson, startTestServer, type RecordedRequest, type TestServer } from './http-test-server.ts';

type HeartbeatAnswer = 'active' | 'cancelled' | 'lost';

/**
 * Just enough of the worker protocol to drive a Worker: a task queue with long-polling, scripted
 * heartbeat answers, and a record of events, completions and releases.
 */
export class FakeWorkerServer {
  server!: TestServer;
  readonly queue: Task[] = [];
  readonly completions: CompletionItem[] = [];
  readonly released: string[] = [];
  readonly appended: Array<{ lease_id: string; events: Array<{ type: string; data: Record<string, unknown> }> }> = [];
  readonly heartbeats = new Map<string, HeartbeatAnswer>();
  /** Answers 503 to this many lease calls first. */
  leaseFailures = 0;
  /** Decides each completion item's result; default ok. */
  completeItem: (item: CompletionItem) => CompletionResult = (item) => ({ lease_id: item.lease_id, ok: true });
  #waiters = new Set<() => void>();
  #seq = 0;

  static async start(): Promise<FakeWorkerServer> {
    const fake = new FakeWorkerServer();
    fake.server = await startTestServer((req, res) => fake.#handle(req, res));
    return fake;
  }

  get url(): string {
    return this.server.url;
  }

  get requests(): RecordedRequest[] {
    return this.server.requests;
  }

  push(...tasks: Task[]): void {
    this.queue.push(...tasks);
    for (const wake of [...this.#waiters]) wake();
  }

  close(): Promise<void> {
    for (const wake of [...this.#waiters]) wake();
    return this.server.close();
  }

  #handle(req: RecordedRequest, res: ServerResponse): void {
    const path = req.url.pathname;
    const body = req.json as Record<string, unknown>;
    if (path === '/v1/worker/lease') return this.#lease(body, res);
    if (path === '/v1/worker/complete') {
      const items = body.results as CompletionItem[];
      this.completions.push(...items);
      return sendJson(res, 200, { results: items.map((item) => this.completeItem(item)) });
    }
    const match = /^\/v1\/leases\/([^/]+)\/(\w+)$/.exec(path);
    if (!match) return sendError(res, 404, 'NOT_FOUND');
    const [, leaseId, action] = match;
    if (action === 'heartbeat') {
      const answer = this.heartbeats.get(leaseId) ?? 'active';
      if (answer === 'lost') return sendError(res, 409, 'LEASE_LOST');
      return sendJson(res, 200, { lease_id: leaseId, run_id: `run_${leaseId}`, status: answer, lease_expires_at: new Date().toISOString() });
    }
    if (action === 'events') {
      const events = body.events as Array<{ type: string; data: Record<string, unknown> }>;
      this.appended.push({ lease_id: leaseId, events });
      return sendJson(res, 200, { seqs: events.map(() => ++this.#seq) });
    }
    if (action === 'release') {
      this.released.push(leaseId);
      return sendJson(res, 200, { id: `run_${leaseId}`, status: 'queued' });
    }
    sendError(res, 404, 'NOT_FOUND');
  }

  #lease(body: Record<string, unknown>, res: ServerResponse): void {
    if (this.leaseFailures > 0) {
      this.leaseFailures -= 1;
      return sendError(res, 503, 'UNAVAILABLE', { 'retry-after-ms': '5' });
    }
    const answer = () => {
      const endpoints = body.endpoints as string[];
      const picked: Task[] = [];
      for (let i = 0; i < this.queue.length && picked.length < Number(body.max_tasks); ) {
        if (endpoints.includes(this.queue[i].endpoint)) picked.push(...this.queue.splice(i, 1));
        else i++;
      }
      return picked;
    };
    const now = answer();
    if (now.length > 0) return sendJson(res, 200, { tasks: now });
    // Long-poll: answer when a task arrives, when wait_ms passes, or never if the client leaves.
    const finish = () => {
      clearTimeout(timer);
      this.#waiters.delete(finish);
      if (!res.writableEnded && !res.destroyed) sendJson(res, 200, { tasks: answer() });
    };
    const timer = setTimeout(finish, Number(body.wait_ms ?? 20_000));
    this.#waiters.add(finish);
    res.on('close', () => {
      clearTimeout(timer);
      this.#waiters.delete(finish);
    });
  }
}

let nextLease = 0;

export function makeTask(endpoint: string, input: unknown, overrides: Partial<Task> = {}): Task {
  const id = `l${++nextLease}`;
  return {
    lease_id: id,
    run_id: `run_${id}`,
    agent: 'greeter',
    agent_version: 1,
    endpoint,
    input,
    metadata: {},
    attempt: 1,
    max_attempts: 3,
    lease_expires_at: new Date(Date.now() + 30_000).toISOString(),
    deadline_at: null,
    attempt_deadline_at: new Date(Date.now() + 300_000).toISOString(),
    heartbeat_interval_ms: 10_000,
    parent_run_id: null,
    root_run_id: `run_${id}`,
    caller_agent: null,
    depth: 0,
    ...overrides,
  };
}

/** Polls a condition without fixed sleeps; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
