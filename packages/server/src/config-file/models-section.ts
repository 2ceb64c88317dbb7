import { parseDuration } from '@agentd/protocol';
import { ModelAliasName, ModelsSection, type ModelAliasConfig } from '@agentd/protocol/schemas';
import Value from 'typebox/value';
import type { SettingsSection } from './config-section.ts';
import { checkSchema, isObject } from './config-values.ts';

/**
 * `models:` — model aliases for LLM agents (alias → provider, base_url, model, api_key_secret…),
 * checked with the wire schema `ModelsSection` and a few rules it cannot say: an
 * `openai-compatible` alias needs a `base_url`, a `fallback` names another alias of the file, a
 * `timeout` is a duration. The key is never in the file: `api_key_secret` names a vault secret.
 * Settings, not stored: the server hands them to the engine (`engine.models`); a reload replaces
 * them in place on the node that reloads.
 */
export const modelsSection: SettingsSection<Record<string, ModelAliasConfig>> = {
  kind: 'settings',
  name: 'models',
  parse(raw, ctx) {
    if (raw === null || raw === undefined) return {};
    if (!isObject(raw)) {
      ctx.problems.push({ path: 'models', message: 'must be a mapping of alias name to model' });
      return {};
    }
    const before = ctx.problems.length;
    for (const alias of Object.keys(raw)) if (!Value.Check(ModelAliasName, alias)) ctx.problems.push({ path: `models.${alias}`, message: 'is not a valid alias name (letters, digits, ".", "_", "-", starting with a letter or digit)' });
    if (!checkSchema(ModelsSection, raw, 'models', ctx.problems)) return {};
    const models = raw as Record<string, ModelAliasConfig>;
    for (const [alias, m] of Object.entries(models)) {
      if (m.provider === 'openai-compatible' && !m.base_url) ctx.problems.push({ path: `models.${alias}.base_url`, message: 'is required for provider openai-compatible' });
      if (m.base_url !== undefined && !/^https?:\/\/\S+$/.test(m.base_url)) ctx.problems.push({ path: `models.${alias}.base_url`, message: 'must be an http or https URL' });
      if (m.fallback !== undefined && !Object.hasOwn(models, m.fallback)) ctx.problems.push({ path: `models.${alias}.fallback`, message: `names no alias of this file (${JSON.stringify(m.fallback)})` });
      if (m.fallback === alias) ctx.problems.push({ path: `models.${alias}.fallback`, message: 'may not be the alias itself' });
      if (m.timeout !== undefined && parseDuration(m.timeout) === undefined) ctx.problems.push({ path: `models.${alias}.timeout`, message: 'must be a duration such as 30s or 2m' });
    }
    return ctx.problems.length > before ? {} : structuredClone(models);
  },
};
