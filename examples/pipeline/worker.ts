/**
 * The pipeline example's worker: one process serving the three agents the `pipeline` workflow
 * calls (researcher, writer, publisher). Reads AGENTD_URL and AGENTD_API_KEY; run it with
 * `npm run example:pipeline`. Stop it with Ctrl-C: each worker finishes what it holds, then exits.
 */
import { Agentd } from '@agentd/sdk';
import { Worker } from '@agentd/sdk/worker';

const client = new Agentd();

const researcher = new Worker({
  client,
  agent: 'researcher',
  concurrency: 5,
  endpoints: {
    research: async (input, ctx) => {
      const { topic } = input as { topic: string };
      await ctx.log(`researching ${topic}`);
      return {
        notes: [`${topic} survive restarts`, `${topic} resume exactly once`, `${topic} wait for people`],
        sources: [`https://example.com/${encodeURIComponent(topic)}`],
      };
    },
  },
});

const writer = new Worker({
  client,
  agent: 'writer',
  concurrency: 5,
  endpoints: {
    draft: async (input, ctx) => {
      const { topic, notes } = input as { topic: string; notes: string[] };
      await ctx.log(`drafting from ${notes.length} notes`);
      const title = `All about ${topic}`;
      return { title, body: `${title}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n` };
    },
  },
});

const publisher = new Worker({
  client,
  agent: 'publisher',
  concurrency: 5,
  endpoints: {
    publish: async (input, ctx) => {
      const { title, approved_by } = input as { title: string; body: string; approved_by?: string | null };
      await ctx.log(`publishing "${title}" (approved by ${approved_by ?? 'someone'})`);
      const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/(^-|-$)/g, '');
      return { url: `https://blog.example.com/${slug}`, title };
    },
  },
});

process.stdout.write('pipeline worker: waiting for runs of researcher/research, writer/draft, publisher/publish (Ctrl-C to stop)\n');
await Promise.all([researcher.run(), writer.run(), publisher.run()]);
