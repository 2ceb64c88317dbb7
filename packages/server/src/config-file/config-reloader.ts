import type { ConfigDiff, ModelAliasConfig, ReloadResult } from '@agentd/protocol/schemas';
import { canonicalJson, DomainError } from '../core/index.ts';
import type { Engine } from '../engine.ts';
import { DEFAULT_TENANT } from '../store/index.ts';
import { applyResources } from './config-apply.ts';
import { loadConfigFile, type LoadedConfig } from './config-load.ts';
import { settingPath, type ServerSettings } from './server-section.ts';

/**
 * The config file of a running server (`agentd serve --config`): applies it at start and again
 * on `POST /v1/reload`, `agentd reload` or SIGHUP. Applies run one at a time, across nodes too (store.exclusive).
 * What a reload does:
 * - resources (agents, workflows, triggers, schedules, webhooks…) are created, updated and deleted in the
 *   database, for every node (applyResources);
 * - `models:` replace the aliases of this process in place (`engine.models` is the same object
 *   before and after): LLM runs started after the reload use the new ones. Other nodes keep
 *   theirs until they reload too (send each its own SIGHUP, or POST /v1/reload to each);
 * - `server:` settings are read at start only: a changed one is listed in `restart_required`.
 * The file's resources belong to the default tenant.
 */
export class ConfigReloader {
  readonly path: string;
  readonly #engine: Engine;
  readonly #started: ServerSettings;
  readonly #env: NodeJS.ProcessEnv;
  #queue: Promise<unknown> = Promise.resolve();
  /** The aliases this reloader applied last (none before the first apply, so the start reports them added). */
  #appliedModels: Record<string, ModelAliasConfig> = {};

  constructor(opts: { engine: Engine; path: string; started: ServerSettings; env?: NodeJS.ProcessEnv }) {
    this.#engine = opts.engine;
    this.path = opts.path;
    this.#started = opts.started;
    this.#env = opts.env ?? process.env;
  }

  /** Reads the file again and applies it. An unreadable or invalid file is 422 CONFIG_INVALID and changes nothing. */
  reload(): Promise<ReloadResult> {
    return this.#serial(async () => {
      const loaded = loadConfigFile(this.path, this.#env);
      if (!loaded.ok) {
        await this.#auditFailure({ file: this.path, problems: loaded.problems.length });
        const first = loaded.problems[0];
        const more = loaded.problems.length > 1 ? ` (and ${loaded.problems.length - 1} more problems in details)` : '';
        throw new DomainError('CONFIG_INVALID', `${loaded.path} is invalid, nothing was changed: ${first.path || '(file)'} ${first.message}${more}`, loaded.problems);
      }
      return this.#apply(loaded.config);
    });
  }

  /** Applies a file already read (the start). */
  apply(config: LoadedConfig): Promise<ReloadResult> {
    return this.#serial(() => this.#apply(config));
  }

  /** One at a time in this process, and across nodes (store.exclusive: an advisory lock on PostgreSQL). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = () => this.#engine.store.exclusive('config-apply', fn);
    const next = this.#queue.then(run, run);
    // The queue only orders applies: each caller gets its own apply's error from `next`.
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * One audit record per apply, in the default tenant: `config.applied`, the changes (at most 100
   * entries of each kind) or, when it failed, the error. No values: entries are section/name.
   */
  async #audit(outcome: 'ok' | 'error', details: Record<string, unknown>): Promise<void> {
    await this.#engine.audit.record([{ tenantId: DEFAULT_TENANT, actor: null, actorRole: null, action: 'config.applied', targetType: 'config', targetId: null, outcome, statusCode: null, requestId: null, details }]);
  }

  /**
   * The audit record of a failed apply. The caller is already answering with the apply's own
   * error, which must not be replaced by the audit's: an audit write that fails too goes to stderr.
   */
  async #auditFailure(details: Record<string, unknown>): Promise<void> {
    await this.#audit('error', details).catch((err: unknown) => process.stderr.write(`agentd: config: the audit record of a failed apply of ${this.path} could not be written: ${(err as Error).message}\n`));
  }

  async #apply(config: LoadedConfig): Promise<ReloadResult> {
    let diff: ConfigDiff;
    try {
      diff = await applyResources(this.#engine, DEFAULT_TENANT, config);
    } catch (err) {
      await this.#auditFailure({ file: config.path, error: (err as Error).message.slice(0, 500) });
      throw err;
    }
    const models = this.#engine.models;
    const next: Record<string, ModelAliasConfig> = config.models;
    const applied = this.#appliedModels;
    for (const alias of Object.keys(applied).sort()) if (!Object.hasOwn(next, alias)) diff.removed.push(`models/${alias}`);
    for (const alias of Object.keys(models)) if (!Object.hasOwn(next, alias)) delete models[alias];
    for (const [alias, m] of Object.entries(next)) {
      const before = applied[alias];
      if (before === undefined) diff.added.push(`models/${alias}`);
      else if (canonicalJson(before) !== canonicalJson(m)) diff.changed.push(`models/${alias}`);
      else diff.unchanged.push(`models/${alias}`);
      models[alias] = m;
    }
    this.#appliedModels = structuredClone(next);
    const names = new Set([...Object.keys(this.#started), ...Object.keys(config.server)]);
    const restart = [...names].filter((n) => this.#started[n] !== config.server[n]).map(settingPath).sort();
    const first = (list: string[]) => list.slice(0, 100);
    await this.#audit('ok', { file: config.path, added: first(diff.added), changed: first(diff.changed), removed: first(diff.removed), unchanged: diff.unchanged.length });
    return { file: config.path, diff, restart_required: restart };
  }
}
