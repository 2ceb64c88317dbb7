/**
 * The reporter agent's worker. Reads AGENTD_URL and AGENTD_API_KEY; run it with
 * `npm run example:daily-report`. Stop it with Ctrl-C: it finishes what it holds, then exits.
 */
import { Agentd } from '@agentd/sdk';
import { Worker } from '@agentd/sdk/worker';

const client = new Agentd();

const worker = new Worker({
  client,
  agent: 'reporter',
  concurrency: 4,
  endpoints: {
    daily: async (input, ctx) => {
      const { team } = input as { team: string };
      const date = new Date().toISOString().slice(0, 10);
      await ctx.log(`writing the ${date} report of ${team}`);
      const since = new Date(Date.now() - 86_400_000).toISOString();
      let finished = 0;
      let failed = 0;
      for await (const run of client.runs.list({ status: ['succeeded', 'failed'], limit: 100 })) {
        if (run.created_at < since) break;
        if (run.status === 'failed') failed++;
        else finished++;
      }
      return { team, date, summary: `${team}: ${finished} runs succeeded and ${failed} failed in the last 24 hours` };
    },
  },
});

process.stdout.write('reporter worker: waiting for runs of reporter/daily (Ctrl-C to stop)\n');
await worker.run();
