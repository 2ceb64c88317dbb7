import type { ConfigResourcesTable, Store } from '../store/index.ts';

/**
 * The `config_resources` table: which resources the config file made (by section and name),
 * under what id, from which definition (digest). Every query names the tenant.
 */
export class ManagedResources {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async list(tenantId: string, section: string): Promise<ConfigResourcesTable[]> {
    return this.#store.db.selectFrom('config_resources').selectAll().where('tenant_id', '=', tenantId).where('section', '=', section).orderBy('name').execute();
  }

  /** The row of a resource by the id the API knows it by (an agent's name, a `whk_` id), if the file manages it. */
  async find(tenantId: string, section: string, resourceId: string): Promise<ConfigResourcesTable | undefined> {
    return this.#store.db.selectFrom('config_resources').selectAll().where('tenant_id', '=', tenantId).where('section', '=', section).where('resource_id', '=', resourceId).executeTakeFirst();
  }

  async record(row: Omit<ConfigResourcesTable, 'applied_at'>): Promise<void> {
    await this.#store.writer.write(async ({ trx, now }) => {
      await trx
        .insertInto('config_resources')
        .values({ ...row, applied_at: now })
        .onConflict((oc) => oc.columns(['tenant_id', 'section', 'name']).doUpdateSet({ resource_id: row.resource_id, digest: row.digest, applied_at: now }))
        .execute();
    });
  }

  async forget(tenantId: string, section: string, name: string): Promise<void> {
    await this.#store.writer.write(async ({ trx }) => {
      await trx.deleteFrom('config_resources').where('tenant_id', '=', tenantId).where('section', '=', section).where('name', '=', name).execute();
    });
  }

  /** Takes a resource out of the file's hands (the API's `Agentd-Takeover: true`); whether it was managed. */
  async release(tenantId: string, section: string, resourceId: string): Promise<boolean> {
    return this.#store.writer.write(async ({ trx }) => {
      const r = await trx.deleteFrom('config_resources').where('tenant_id', '=', tenantId).where('section', '=', section).where('resource_id', '=', resourceId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }
}
