/**
 * The hello agent's worker. Reads AGENTD_URL and AGENTD_API_KEY; run it with
 * `npm run example:hello`. Stop it with Ctrl-C: it finishes what it holds, then exits.
 */
import { Agentd } from '@agentd/sdk';
import { Worker } from '@agentd/sdk/worker';

const client = new Agentd();

const worker = new Worker({
  client,
  agent: 'hello',
  concurrency: 10,
  endpoints: {
    greet: async (input, ctx) => {
      const { name } = input as { name: string };
      await ctx.log(`greeting ${name}`);
      await ctx.progress({ progress: 1, message: 'done' });
      return { greeting: `Hello, ${name}!` };
    },
  },
});

process.stdout.write('hello worker: waiting for runs of hello/greet (Ctrl-C to stop)\n');
await worker.run();
