import type { Store } from '../store/index.ts';
import type { Clock } from '../core/index.ts';

export class TenantService {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** A new tenant called `name`; `id` default a new `ten_` id. */
  async create(input: { name: string; id?: string }): Promise<{ id: string; name: string }> {
    const { name } = input;
    const id = input.id ?? this.#store.ids.next('ten', this.#clock.now());
    await this.#store.writer.write(async ({ trx, now }) => {
      await trx.insertInto('tenants').values({ id, name, event_seq: 0, finding_seq: 0, created_at: now }).execute();
    });
    return { id, name };
  }
}
