import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agentd } from '@agentd/sdk';
import { Option, type Command } from 'commander';
import { UsageError } from './cli-errors.ts';

/** Where `agentd serve` listens unless told otherwise. */
export const DEFAULT_URL = 'http://127.0.0.1:7070';
/** The data directory `agentd serve` uses by default, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.agentd';

/** The connection flags every client command accepts. */
export interface ConnectionFlags {
  url?: string;
  apiKey?: string;
  dataDir?: string;
}

export interface ClientConfig {
  url: string;
  apiKey: string | undefined;
  /** Where the key came from, for messages: never the key itself. */
  keySource: 'flag' | 'env' | 'admin.key' | 'none';
  /** Set when no key was found: says where one was looked for. */
  missingKeyHint?: string;
}

/**
 * Adds --url, --api-key and --data-dir to a command. They sit on the group commands (`agents`,
 * `runs`, `keys`) and on `run`, not on the program, so `serve --data-dir` keeps its own meaning;
 * commander recognises a group's options after its subcommand too (`agentd runs list --url …`).
 */
export function addConnectionOptions(command: Command): Command {
  const group = 'Connection options:';
  return command
    .addOption(new Option('--url <url>', `agentd server URL (env AGENTD_URL; default ${DEFAULT_URL})`).helpGroup(group))
    .addOption(new Option('--api-key <key>', 'API key (env AGENTD_API_KEY; default: the key in <data-dir>/admin.key)').helpGroup(group))
    .addOption(
      new Option('--data-dir <dir>', `where to find admin.key when no key is given (env AGENTD_DATA_DIR; default ./${DEFAULT_DATA_DIR})`).helpGroup(group),
    );
}

/** Flags first, then the environment, then the admin key `agentd serve` wrote on first start. */
export function resolveClientConfig(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const url = (flags.url ?? nonEmpty(env.AGENTD_URL) ?? DEFAULT_URL).trim();
  checkURL(url);
  const flagKey = nonEmpty(flags.apiKey);
  if (flagKey) return { url, apiKey: flagKey, keySource: 'flag' };
  const envKey = nonEmpty(env.AGENTD_API_KEY);
  if (envKey) return { url, apiKey: envKey, keySource: 'env' };
  const keyFile = join(resolve(flags.dataDir ?? nonEmpty(env.AGENTD_DATA_DIR) ?? DEFAULT_DATA_DIR), 'admin.key');
  const fileKey = readKeyFile(keyFile);
  if (fileKey) return { url, apiKey: fileKey, keySource: 'admin.key' };
  return { url, apiKey: undefined, keySource: 'none', missingKeyHint: `no API key given: pass --api-key, set AGENTD_API_KEY, or point --data-dir at the directory holding admin.key (looked for ${keyFile})` };
}

export function createClient(config: ClientConfig): Agentd {
  return new Agentd({ baseURL: config.url, apiKey: config.apiKey });
}

function checkURL(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url / AGENTD_URL is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--url must be http:// or https://, not ${parsed.protocol}`);
  // fetch refuses such URLs, and its error would print the password back.
  if (parsed.username || parsed.password) throw new UsageError('--url must not contain user:password@; pass the API key with --api-key or AGENTD_API_KEY');
}

/** A missing file means "no key here"; any other read failure is worth saying (never the contents). */
function readKeyFile(file: string): string | undefined {
  try {
    return nonEmpty(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
