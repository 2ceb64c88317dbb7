import type { Task } from '@agentd/protocol';
import type { Agentd } from '../agentd-client.ts';
import { fencedCall } from './lease-conflict.ts';
import { occurrenceKey } from './task-signals.ts';

/**
 * `ctx.step(name, fn)`: runs `fn` once per run. Its result is recorded through the lease (a
 * `run.step` event) before it is returned; a later attempt of the run (after a crash, a failure,
 * a lost lease) gets the recorded result without calling `fn`. A throwing `fn` records nothing,
 * so the next attempt runs it again. Steps are named by occurrence (`name`, `name#2`…), the same
 * on every attempt of deterministic code. The result must be JSON: what the step returns is its
 * JSON form (undefined becomes null), the same in the attempt that ran it and in every later one.
 * The first attempt reads nothing; a later one reads the run's recorded steps once, at its first step.
 */
export function createStepRunner(client: Agentd, task: Task, signal: AbortSignal): <T>(name: string, fn: () => T | Promise<T>) => Promise<T> {
  const counts = new Map<string, number>();
  let recorded: Promise<Map<string, unknown>> | null = null;
  const load = async () => {
    const { data } = await fencedCall(task, signal, () => client.leases.steps(task.lease_id, { signal }));
    return new Map(data.map((s) => [s.key, s.output]));
  };
  return async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
    const key = occurrenceKey(counts, name);
    signal.throwIfAborted();
    if (task.attempt > 1) {
      recorded ??= load();
      // A failed read is read again at the next step rather than taken as "nothing recorded".
      const steps = await recorded.catch((err: unknown) => {
        recorded = null;
        throw err;
      });
      if (steps.has(key)) return steps.get(key) as T;
    }
    const value = await fn();
    const output: unknown = value === undefined ? null : JSON.parse(JSON.stringify(value));
    const answer = await fencedCall(task, signal, () => client.leases.recordStep(task.lease_id, { key, output }, { signal }));
    // Recorded before (a retried request whose answer was lost): the first record is the step's result.
    return (answer.recorded ? output : answer.step.output) as T;
  };
}
