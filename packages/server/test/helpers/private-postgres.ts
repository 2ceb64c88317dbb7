/**
 * A PostgreSQL server of a test's own (initdb in a temp directory, a free port), for tests that
 * stop or kill it. The shared server on 5432 is never touched. Run as root, the server runs as
 * the `postgres` OS user (PostgreSQL refuses to run as root).
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, globSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The PostgreSQL binaries directory (newest major), or null. */
export function postgresBinDir(): string | null {
  const dirs = globSync('/usr/lib/postgresql/*/bin').filter((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  dirs.sort((a, b) => Number(b.split('/')[4]) - Number(a.split('/')[4]));
  return dirs[0] ?? null;
}

/** Why a private PostgreSQL cannot be started here, or null. */
export async function privatePostgresUnavailable(): Promise<string | null> {
  if (!postgresBinDir()) return 'no PostgreSQL binaries under /usr/lib/postgresql/*/bin';
  if (userInfo().uid === 0) {
    try {
      await run('id', ['-u', 'postgres']);
    } catch {
      return 'running as root and there is no postgres OS user to run the server as';
    }
  }
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export class PrivatePostgres {
  readonly dir: string;
  readonly port: number;
  readonly #bin: string;
  readonly #asPostgres: boolean;

  private constructor(dir: string, port: number, bin: string, asPostgres: boolean) {
    this.dir = dir;
    this.port = port;
    this.#bin = bin;
    this.#asPostgres = asPostgres;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('no PostgreSQL binaries');
    const asPostgres = userInfo().uid === 0;
    const dir = mkdtempSync(join(tmpdir(), 'agentd-pg-'));
    chmodSync(dir, 0o700);
    if (asPostgres) {
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      chownSync(dir, uid, gid);
    }
    const pg = new PrivatePostgres(dir, await freePort(), bin, asPostgres);
    await pg.#exec('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    await pg.start();
    return pg;
  }

  async #exec(tool: string, args: string[]): Promise<string> {
    const cmd = join(this.#bin, tool);
    const { stdout } = this.#asPostgres ? await run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : await run(cmd, args);
    return stdout;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on`;
    await this.#exec('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-o', opts, '-w', '-t', '60', 'start']);
  }

  /** `pg_ctl stop -m immediate`: every backend is killed at once, no checkpoint (crash recovery at the next start). */
  async stopImmediate(): Promise<void> {
    await this.#exec('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  /** Stops the server (if running) and removes its directory. */
  async destroy(): Promise<void> {
    // A server the test already stopped (or never started) makes pg_ctl fail; either way nothing is left to stop.
    await this.#exec('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
