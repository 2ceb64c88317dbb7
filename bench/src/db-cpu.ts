/**
 * The database's CPU, for the per-run figures: on PostgreSQL the CPU of the server processes
 * that serve the bench's database (its client backends, found in `pg_stat_activity` by
 * database name: they run the statements and, with synchronous_commit on, flush the WAL of
 * their own commits), read from /proc — the bench runs on the database's machine. Background
 * processes (WAL writer, checkpointer) serve every database of the cluster and are left out.
 * On SQLite the database runs inside the server process, so its CPU is in the server's figure.
 */
import pg from 'pg';
import { log } from './log.ts';
import { readCpuSeconds } from './server-process.ts';

export interface DbCpu {
  /** CPU seconds of the database's processes so far, keyed by pid (null: cannot be measured). */
  sample(): Promise<Map<number, number> | null>;
  close(): Promise<void>;
}

/** CPU seconds between two samples: a backend that appeared meanwhile counts from zero. */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

export async function postgresCpu(adminUrl: string, database: string): Promise<DbCpu> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  return {
    async sample() {
      const { rows } = await client.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'", [database]);
      const cpu = new Map<number, number>();
      for (const { pid } of rows) {
        const seconds = readCpuSeconds(pid);
        if (seconds === null) return null; // not on this machine, or no /proc
        cpu.set(pid, seconds);
      }
      return cpu;
    },
    close: () => client.end().catch((err: Error) => log(`db-cpu: closing the pg_stat_activity connection failed: ${err.message}`)),
  };
}

export const noDbCpu: DbCpu = { sample: () => Promise.resolve(null), close: () => Promise.resolve() };
