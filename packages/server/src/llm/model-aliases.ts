import type { ModelAliasConfig } from '@agentd/protocol/schemas';
import { parseDuration } from '@agentd/protocol';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { DomainError } from '../core/index.ts';
import type { StepUsage } from './usage-port.ts';

/** What a run needs of an alias: the model, its settings, and how to price its usage. */
export interface ResolvedModel {
  alias: string;
  config: ModelAliasConfig;
  model: LanguageModel;
  maxRetries: number;
  timeoutMs: number | undefined;
}

export const DEFAULT_MODEL_RETRIES = 2;

/**
 * The `models:` section (alias → provider, URL, model id, key secret, prices), turned into AI SDK
 * models. The key is read from the vault by the caller (the run's tenant) and handed in: it goes
 * into the provider's Authorization header only, never into events, logs or the model's context.
 */
export class ModelAliases {
  readonly #aliases: Record<string, ModelAliasConfig>;

  constructor(aliases: Record<string, ModelAliasConfig> = {}) {
    this.#aliases = aliases;
  }

  names(): string[] {
    return Object.keys(this.#aliases);
  }

  get(alias: string): ModelAliasConfig | undefined {
    return Object.hasOwn(this.#aliases, alias) ? this.#aliases[alias] : undefined;
  }

  /** The alias's config, or a non-retryable error naming what is missing. */
  require(alias: string): ModelAliasConfig {
    const config = this.get(alias);
    if (!config) throw new DomainError('VALIDATION_ERROR', `no model alias ${JSON.stringify(alias)} in the server config (models:); known: ${this.names().join(', ') || 'none'}`);
    return config;
  }

  resolve(alias: string, apiKey: string | undefined): ResolvedModel {
    const config = this.require(alias);
    const timeout = config.timeout === undefined ? undefined : parseDuration(config.timeout);
    return { alias, config, model: languageModel(alias, config, apiKey), maxRetries: config.max_retries ?? DEFAULT_MODEL_RETRIES, timeoutMs: timeout };
  }
}

function languageModel(alias: string, c: ModelAliasConfig, apiKey: string | undefined): LanguageModel {
  if (c.provider === 'openai-compatible') {
    if (!c.base_url) throw new DomainError('VALIDATION_ERROR', `model alias ${JSON.stringify(alias)}: base_url is required for provider openai-compatible`);
    // includeUsage: usage is asked for on every stream (stream_options.include_usage).
    return createOpenAICompatible({ name: alias, baseURL: c.base_url, apiKey, includeUsage: true }).chatModel(c.model);
  }
  if (c.provider === 'openai') {
    // Chat Completions (with usage in streams), the protocol every OpenAI-compatible server shares.
    return createOpenAI({ baseURL: c.base_url, apiKey }).chat(c.model);
  }
  return createAnthropic({ baseURL: c.base_url, apiKey }).messages(c.model);
}

/** The step's cost in US dollars from the alias's prices (per million tokens); 0 without prices. */
export function costOf(c: ModelAliasConfig, u: StepUsage): number {
  const p = c.prices ?? {};
  const cached = Math.min(u.cached_input_tokens, u.input_tokens);
  const uncached = u.input_tokens - cached;
  return (uncached * (p.input ?? 0) + cached * (p.cached_input ?? p.input ?? 0) + u.output_tokens * (p.output ?? 0)) / 1_000_000;
}
