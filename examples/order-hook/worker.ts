/**
 * The orders agent's worker (examples/order-hook). Reads AGENTD_URL and AGENTD_API_KEY; run it
 * with `npm run example:order-hook`. Each run is an order a shop delivered to the trigger,
 * already mapped to `{order_id, customer, total_cents}` by the trigger's template.
 */
import { Agentd } from '@agentd/sdk';
import { Worker } from '@agentd/sdk/worker';

interface Order {
  order_id: string;
  customer: string;
  total_cents: number;
}

const worker = new Worker({
  client: new Agentd(),
  agent: 'orders',
  endpoints: {
    confirm: async (input, ctx) => {
      const order = input as Order;
      const total = (order.total_cents / 100).toFixed(2);
      await ctx.log(`confirming ${order.order_id} for ${order.customer}`);
      return { confirmation: `Order ${order.order_id} (${total}) confirmed for ${order.customer}` };
    },
  },
});

process.stdout.write('orders worker: waiting for runs of orders/confirm (Ctrl-C to stop)\n');
await worker.run();
