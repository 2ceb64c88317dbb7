/**
 * The TypeScript side of worker_bench.py: one SDK `Worker` (concurrency 50) for agent argv[2] whose
 * `noop` endpoint returns `{}`. Reads AGENTD_URL / AGENTD_API_KEY; stops on SIGTERM.
 */
import { Agentd } from '@agentd/sdk';
import { Worker } from '@agentd/sdk/worker';

const worker = new Worker({
  client: new Agentd(),
  agent: process.argv[2] ?? 'bench-ts',
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50),
  endpoints: { noop: async () => ({}) },
});
process.stdout.write('ready\n');
await worker.run();
