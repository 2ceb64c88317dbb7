import type { FieldProblem } from '@agentd/protocol';
import type { Engine } from '../engine.ts';

/** What every section's parser gets: where the file is (relative paths) and where problems go. */
export interface ParseContext {
  /** The directory of the config file: `file:` references and manifest paths are read from it. */
  readonly dir: string;
  /** Problems found so far, each with its path in the file (`schedules.daily.cron`). */
  readonly problems: FieldProblem[];
  /** Environment `env:NAME` references are read from. */
  readonly env: NodeJS.ProcessEnv;
  /**
   * `false` (`agentd config validate --skip-secrets`, on a machine without the server's
   * environment): references are checked by their form only, and stand for a placeholder.
   */
  readonly resolveReferences?: boolean;
}

/** One resource the file asks for: its name in the file, its definition, and that definition's digest. */
export interface DesiredResource<T = unknown> {
  name: string;
  spec: T;
  /** SHA-256 of the definition's canonical JSON: a reload compares it with the applied one. */
  digest: string;
}

/** Where a resource section writes: the engine, in the tenant the file manages. */
export interface ApplyContext {
  engine: Engine;
  tenantId: string;
  /** Every resource of the file by section (a schedule's check looks its agent up in `agents`). */
  desired: ReadonlyMap<string, readonly DesiredResource[]>;
}

/**
 * A section of resources the server stores (agents, workflows, schedules, webhooks…). A reload
 * diffs the file's resources against the ones recorded in `config_resources` by digest, then
 * creates, updates and deletes through the section, which goes through the same services (and
 * checks) as the API. Sections are applied in registry order, deletions in reverse order.
 */
export interface ResourceSection<T = unknown> {
  readonly kind: 'resources';
  /** The top-level key in the file, and the `section` of its rows in `config_resources`. */
  readonly name: string;
  /** Offline: the section's shape. Problems go to `ctx.problems` with paths under `name.`. */
  parse(raw: unknown, ctx: ParseContext): DesiredResource<T>[];
  /**
   * Against the server, before anything is written: what applying `item` would refuse (a
   * schedule's agent that neither the file nor the server has). Paths as in `parse`. `existing`:
   * the resource's id when the file made it before.
   */
  check?(item: DesiredResource<T>, existing: string | null, ctx: ApplyContext, problems: FieldProblem[]): Promise<void>;
  /**
   * Whether the stored resource still is what the file says, beyond the digest: a secret's value
   * behind an unchanged reference (digests never hold a secret, nor a hash of one). Asked of
   * resources whose digest did not change; false makes them "changed".
   */
  current?(item: DesiredResource<T>, resourceId: string, ctx: ApplyContext): Promise<boolean>;
  /** Creates or updates the resource (`existing` is its id when the file made it before); returns its id. */
  apply(item: DesiredResource<T>, existing: string | null, ctx: ApplyContext): Promise<string>;
  /** Deletes a resource the file made and no longer lists (gone already is fine). */
  remove(name: string, resourceId: string, ctx: ApplyContext): Promise<void>;
}

/**
 * A section read into the server's settings, not stored: `server:` (flags/env equivalents) and
 * `models:` (model aliases). `T` is what the loader hands on.
 */
export interface SettingsSection<T = unknown> {
  readonly kind: 'settings';
  readonly name: string;
  parse(raw: unknown, ctx: ParseContext): T;
}

export type ConfigSection = ResourceSection | SettingsSection;
