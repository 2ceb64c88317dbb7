/**
 * The refund agent's worker: asks for approval before the side effect, then calls the payment
 * provider with the granted secret `payments_key`. Reads AGENTD_URL and AGENTD_API_KEY; start it
 * with `npm run example:approval`. The key must be a worker key that names `refund`
 * (`agentd keys create --role worker --agents refund`): only such a key receives the agent's
 * secrets. With an admin key it leases, but `ctx.secrets.get` throws, saying why.
 *
 * The approval is durable: if this worker (or the server) dies while a person decides, the run
 * is retried and the retried attempt gets the same approval back, decided if it was.
 */
import { Agentd } from '@agentd/sdk';
import { Worker } from '@agentd/sdk/worker';

const client = new Agentd();

/** Stands in for a payment provider's API: it only checks that it was handed a key. */
async function refundWithProvider(apiKey: string, amount: number): Promise<boolean> {
  return apiKey.length > 0 && amount > 0;
}

const worker = new Worker({
  client,
  agent: 'refund',
  concurrency: 5,
  // A short lease: if this worker dies while waiting, another one takes over within seconds.
  leaseTtlMs: 6000,
  endpoints: {
    issue: async (input: { amount: number; reason?: string }, ctx) => {
      await ctx.log(`asking for approval to refund ${input.amount}`);
      const decision = await ctx.approval({
        prompt: `Refund ${input.amount}?`,
        payload: { amount: input.amount, reason: input.reason ?? null },
        timeout: 24 * 3_600_000,
        on_timeout: 'reject',
      });
      if (!decision.approved) {
        await ctx.log('refund not approved', { fields: { reason: decision.reason } });
        return { refunded: false, token_used: false, decided_by: decision.decided_by, note: decision.reason };
      }
      const key = ctx.secrets.get('payments_key');
      const refunded = await refundWithProvider(key, input.amount);
      await ctx.log('refund issued', { fields: { amount: input.amount } });
      return { refunded, token_used: true, decided_by: decision.decided_by, note: decision.comment };
    },
  },
});

process.stdout.write('refund worker: waiting for runs of refund/issue (Ctrl-C to stop)\n');
await worker.run();
