import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FieldProblem } from '@agentd/protocol';
import type { ModelAliasConfig } from '@agentd/protocol/schemas';
import { parse as parseYaml } from 'yaml';
import type { DesiredResource, ParseContext } from './config-section.ts';
import { CONFIG_SECTIONS } from './config-sections.ts';
import { isObject } from './config-values.ts';
import type { ServerSettings } from './server-section.ts';

/** A config file read and checked offline: what each section asks for. */
export interface LoadedConfig {
  /** The file's absolute path. */
  path: string;
  /** `server:` as environment variables (`AGENTD_PORT`…), to be read beneath the real environment. */
  server: ServerSettings;
  /** `models:` (alias → model). */
  models: Record<string, ModelAliasConfig>;
  /** Each resource section's resources, in registry order. */
  resources: Map<string, DesiredResource[]>;
}

export type ConfigLoad = { ok: true; config: LoadedConfig } | { ok: false; path: string; problems: FieldProblem[] };

/** Parses config text (YAML; JSON is YAML too) into the sections. Problems carry paths in the file. */
export function parseConfigText(text: string, path: string, env: NodeJS.ProcessEnv = process.env, opts: { resolveReferences?: boolean } = {}): ConfigLoad {
  const full = resolve(path);
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    return { ok: false, path: full, problems: [{ path: '', message: `${full} is not valid YAML: ${(err as Error).message.replace(/\s+/g, ' ').trim()}` }] };
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObject(doc)) return { ok: false, path: full, problems: [{ path: '', message: `${full} must hold a mapping of sections (${CONFIG_SECTIONS.map((s) => s.name).join(', ')})` }] };
  const ctx: ParseContext = { dir: dirname(full), problems: [], env, resolveReferences: opts.resolveReferences };
  for (const key of Object.keys(doc)) {
    if (!CONFIG_SECTIONS.some((s) => s.name === key)) ctx.problems.push({ path: key, message: `is not a section of the config file (known: ${CONFIG_SECTIONS.map((s) => s.name).join(', ')})` });
  }
  const settings = new Map<string, unknown>();
  const resources = new Map<string, DesiredResource[]>();
  for (const section of CONFIG_SECTIONS) {
    const raw = (doc as Record<string, unknown>)[section.name];
    if (section.kind === 'settings') settings.set(section.name, section.parse(raw, ctx));
    else resources.set(section.name, section.parse(raw, ctx));
  }
  if (ctx.problems.length > 0) return { ok: false, path: full, problems: ctx.problems };
  return {
    ok: true,
    config: { path: full, server: (settings.get('server') ?? {}) as ServerSettings, models: (settings.get('models') ?? {}) as Record<string, ModelAliasConfig>, resources },
  };
}

/** Reads and parses the file at `path`; a file that cannot be read is one problem naming it. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env, opts: { resolveReferences?: boolean } = {}): ConfigLoad {
  const full = resolve(path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, path: full, problems: [{ path: '', message: `cannot read the config file ${full}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}` }] };
  }
  return parseConfigText(text, full, env, opts);
}

/** Problems as lines for a terminal: `path: message`. */
export function formatProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `  ${p.path || '(file)'}: ${p.message}`).join('\n');
}
