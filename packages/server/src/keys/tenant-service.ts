import type { Store } from '../store/index.ts';
import type { Clock } from '../core/index.ts';

export class TenantService {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async create(name: string, id: string = this.#store.ids.next('ten', this.#clock.now())): Promise<{ id: string; name: string }> {
    await this.#store.writer.write(async ({ trx, now }) => {
      await trx.insertInto('tenants').values({ id, name, event_seq: 0, finding_seq: 0, created_at: now }).execute();
    });
    return { id, name };
  }
}
