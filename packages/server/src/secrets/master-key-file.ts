import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Keyring, MASTER_KEY_BYTES, parseMasterKey } from './master-key.ts';
import type { SecretService } from './secret-service.ts';

export const MASTER_KEY_FILE = 'master.key';

export interface KeyringSource {
  /** AGENTD_MASTER_KEY, parsed; when absent the key file in `dataDir` is used (made on first start). */
  masterKey?: Buffer;
  /** AGENTD_MASTER_KEY_PREVIOUS, parsed: still accepted for reading after a rotation. */
  previousMasterKeys: Buffer[];
  dataDir: string;
  /** Whether other nodes may share the database (PostgreSQL): they must share the key too. */
  shared: boolean;
}

/**
 * The keyring a server starts with. Throws (the server refuses to start) on a key file that
 * others may read or that does not hold a key: silently replacing it would make every stored
 * secret unreadable.
 */
export function loadKeyring(source: KeyringSource, print: (line: string) => void): Keyring {
  if (source.masterKey) return new Keyring(source.masterKey, { previous: source.previousMasterKeys });
  const file = join(source.dataDir, MASTER_KEY_FILE);
  const created = createKeyFileIfMissing(file);
  if (process.platform !== 'win32') {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new Error(`configuration: ${file} has mode ${mode.toString(8).padStart(4, '0')}; the master key file must be readable by its owner only (chmod 600 ${file})`);
    }
  }
  const key = parseMasterKey(readFileSync(file, 'utf8'), `the master key in ${file}`);
  if (created) print(`agentd: created a master key for secrets in ${file} (mode 0600); back it up: without it the stored secrets cannot be read`);
  if (source.shared) print(`agentd: AGENTD_MASTER_KEY is not set; secrets use the key in ${file}: every node on this database needs the same key`);
  return new Keyring(key, { previous: source.previousMasterKeys });
}

/**
 * Creates the file with a new random key, written to a temporary file first and then linked
 * into place: two servers starting at once agree on one key, and neither can read a half-written file.
 */
function createKeyFileIfMissing(file: string): boolean {
  if (existsSync(file)) return false;
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${randomBytes(MASTER_KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Says at startup when stored versions are wrapped by master keys this server was not given
 * (a lost key file, a node started with another key, a previous key dropped too early): they
 * cannot be delivered until the key is configured again (AGENTD_MASTER_KEY_PREVIOUS).
 */
export async function warnAboutUnreadableSecrets(secrets: SecretService, print: (line: string) => void): Promise<void> {
  const unknown = await secrets.unknownKeyVersions();
  for (const [id, count] of unknown) {
    print(`agentd: warning: ${count} secret version(s) are wrapped by master key ${id}, which this server was not given; they cannot be read (set AGENTD_MASTER_KEY_PREVIOUS, then run agentd secrets rewrap)`);
  }
}
