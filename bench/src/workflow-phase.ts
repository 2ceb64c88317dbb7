import { BenchWorker } from './bench-worker.ts';
import { ENDPOINT, type Target } from './phases.ts';
import { ms, percentile, sleep } from './stats.ts';

export interface WorkflowResult {
  workflows: number;
  steps: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Workflows run, unmeasured, before the measured ones. */
const WORKFLOW_WARMUP = 2;

/** A chain of `steps` no-op agent steps, each needing the one before it. */
export function chainWorkflow(name: string, agent: string, steps: number): Record<string, unknown> {
  const id = (k: number) => `s${String(k + 1).padStart(3, '0')}`;
  return {
    apiVersion: 'agentd.dev/v1',
    kind: 'Workflow',
    metadata: { name, description: 'agentd bench: a chain of no-op steps' },
    spec: { steps: Array.from({ length: steps }, (_, k) => ({ id: id(k), ...(k > 0 ? { needs: [id(k - 1)] } : {}), agent, endpoint: ENDPOINT, input: { k } })) },
  };
}

/**
 * Step-to-step latency of a workflow: a chain of `steps` no-op agent steps, driven by the server
 * (each step's child run is started in the transaction of the previous one's completion), served
 * by one SDK worker. A sample is the time from the moment step k's handler returns until step
 * k+1's handler starts: the worker reports the completion, the server commits it and starts the
 * next step's child in the same transaction, hands it to the worker's parked long-poll, and the
 * handler begins. Both moments are `performance.now()` in the bench process. Workflows run one at
 * a time, each after the previous one's last step was acknowledged; the first ones are not
 * recorded. Checked: every workflow run ends `succeeded` with one child per step.
 */
export async function workflowPhase(target: Target, names: { workflow: string; agent: string }, workflows: number, steps: number): Promise<WorkflowResult> {
  const gaps: number[] = [];
  let lastEnd: number | null = null;
  let recording = false;
  const worker = new BenchWorker({
    baseURL: target.baseURL,
    apiKey: target.apiKey,
    agent: names.agent,
    concurrency: target.workerConcurrency,
    prefetch: target.workerPrefetch,
    handler: (input) => {
      const startedAt = performance.now();
      const k = (input as { k: number }).k;
      if (recording && k > 0 && lastEnd !== null) gaps.push(startedAt - lastEnd);
      lastEnd = performance.now();
      return {};
    },
  });
  await target.client.workflows.deploy(chainWorkflow(names.workflow, names.agent, steps));
  worker.start();
  const started: string[] = [];
  try {
    await sleep(100); // the worker's first long-poll reaches the server
    for (let i = 0; i < WORKFLOW_WARMUP + workflows; i++) {
      recording = i >= WORKFLOW_WARMUP;
      lastEnd = null;
      const { status, text } = await target.http.post(`/v1/workflows/${names.workflow}/runs`, JSON.stringify({ input: { i } }));
      if (status !== 201) throw new Error(`POST /v1/workflows/${names.workflow}/runs answered ${status}: ${text.slice(0, 500)}`);
      started.push((JSON.parse(text) as { id: string }).id);
      await withTimeout(worker.whenSucceeded((i + 1) * steps), target.stallTimeoutMs, `workflow ${i} of the workflow phase`);
    }
  } finally {
    await worker.stop();
  }
  for (const id of started) {
    const run = await target.client.runs.retrieve(id);
    if (run.status !== 'succeeded') throw new Error(`workflow run ${id} is ${run.status}, not succeeded`);
    let children = 0;
    for await (const child of target.client.runs.children(id)) {
      if (child.status !== 'succeeded') throw new Error(`step ${child.step} of workflow run ${id} is ${child.status}`);
      children++;
    }
    if (children !== steps) throw new Error(`workflow run ${id} has ${children} child runs, not ${steps}`);
  }
  return { workflows, steps, samples: gaps.length, p50Ms: ms(percentile(gaps, 50)), p99Ms: ms(percentile(gaps, 99)), maxMs: ms(Math.max(...gaps)) };
}

async function withTimeout<T>(p: Promise<T>, msLimit: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no progress for ${msLimit} ms`)), msLimit)))]);
  } finally {
    clearTimeout(timer);
  }
}
