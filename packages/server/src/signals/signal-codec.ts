import type { Signal } from '@agentd/protocol';
import type { SignalsTable } from '../store/index.ts';
import { parseJson, type WireFormat } from '../core/index.ts';

export function toSignal(row: SignalsTable, wire: WireFormat): Signal {
  return {
    id: row.id,
    run_id: row.run_id,
    name: row.name,
    payload: parseJson(row.payload),
    created_at: wire.iso(row.created_at),
    consumed_at: wire.isoOrNull(row.consumed_at),
    consumed_by: row.consumed_by,
  };
}
