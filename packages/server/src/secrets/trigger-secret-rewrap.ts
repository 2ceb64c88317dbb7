import type { SecretRewrapResult } from '@agentd/protocol';
import type { Store, TriggerSecretsTable } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { Keyring } from './master-key.ts';
import { rewrapTriggerSecret } from './secret-crypto.ts';

/** Rows re-wrapped per transaction, as for secret versions. */
const CHUNK = 200;

/**
 * The webhook signing secrets' part of a rewrap (webhooks/ keeps them sealed by this vault):
 * every one of the tenant's not yet under the current master key gets its data key re-wrapped,
 * compare-and-set on the old wrapping. One that cannot be unwrapped is reported in `failed` as
 * `webhook:<id>`, and left as it is.
 */
export async function rewrapTriggerSecrets(store: Store, keyring: Keyring, tenantId: string, result: SecretRewrapResult): Promise<void> {
  let after: { trigger: string; version: number } | null = null;
  for (;;) {
    let q = store.db.selectFrom('trigger_secrets').selectAll().where('tenant_id', '=', tenantId).where('kek_id', '!=', keyring.current.id);
    if (after) {
      const a = after;
      q = q.where((eb) => eb.or([eb('trigger_id', '>', a.trigger), eb.and([eb('trigger_id', '=', a.trigger), eb('version', '>', a.version)])]));
    }
    const rows = await q.orderBy('trigger_id').orderBy('version').limit(CHUNK).execute();
    if (rows.length === 0) return;
    const updates: { row: TriggerSecretsTable; next: ReturnType<typeof rewrapTriggerSecret> }[] = [];
    for (const row of rows) {
      try {
        updates.push({ row, next: rewrapTriggerSecret(keyring, { tenantId, triggerId: row.trigger_id, version: Number(row.version) }, row) });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        result.failed.push({ name: `trigger:${row.trigger_id}`, version: Number(row.version), kek_id: row.kek_id, reason: err.message });
      }
    }
    result.rewrapped += await store.writer.write(async ({ trx }) => {
      let n = 0;
      for (const { row, next } of updates) {
        const r = await trx
          .updateTable('trigger_secrets')
          .set(next)
          .where('tenant_id', '=', tenantId)
          .where('trigger_id', '=', row.trigger_id)
          .where('version', '=', row.version)
          .where('wrapped_dek', '=', row.wrapped_dek)
          .executeTakeFirst();
        n += Number(r.numUpdatedRows);
      }
      return n;
    });
    const last = rows[rows.length - 1];
    after = { trigger: last.trigger_id, version: Number(last.version) };
  }
}
