import type { ModelAliasConfig } from '@agentd/protocol/schemas';
import { parseDuration } from '@agentd/protocol';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { DomainError } from '../core/index.ts';
import type { ModelPrices } from '../models/index.ts';
import type { StepUsage } from './usage-port.ts';

/** What a run needs of an alias: the AI SDK model and the call's settings. */
export interface ResolvedModel {
  alias: string;
  config: ModelAliasConfig;
  model: LanguageModel;
  maxRetries: number;
  timeoutMs: number | undefined;
}

export const DEFAULT_MODEL_RETRIES = 2;

/**
 * An alias of the `models:` section as an AI SDK model. The key (read from the vault by the
 * caller, for the run's tenant) goes into the provider's auth header only: never into events,
 * logs or the model's context.
 */
export function resolveModel(alias: string, config: ModelAliasConfig, apiKey: string | undefined): ResolvedModel {
  const timeout = config.timeout === undefined ? undefined : parseDuration(config.timeout);
  return { alias, config, model: languageModel(alias, config, apiKey), maxRetries: config.max_retries ?? DEFAULT_MODEL_RETRIES, timeoutMs: timeout };
}

function languageModel(alias: string, c: ModelAliasConfig, apiKey: string | undefined): LanguageModel {
  if (c.provider === 'openai-compatible') {
    if (!c.base_url) throw new DomainError('VALIDATION_ERROR', `model alias ${JSON.stringify(alias)}: base_url is required for provider openai-compatible`);
    // includeUsage: usage is asked for on every stream (stream_options.include_usage).
    return createOpenAICompatible({ name: alias, baseURL: c.base_url, apiKey, includeUsage: true }).chatModel(c.model);
  }
  if (c.provider === 'openai') {
    // Chat Completions (usage in streams), the protocol every OpenAI-compatible server shares.
    return createOpenAI({ baseURL: c.base_url, apiKey }).chat(c.model);
  }
  return createAnthropic({ baseURL: c.base_url, apiKey }).messages(c.model);
}

/** A step's cost in US dollars from the alias's prices (per million tokens). */
export function costOf(p: ModelPrices, u: StepUsage): number {
  const cached = Math.min(u.cached_input_tokens, u.input_tokens);
  return ((u.input_tokens - cached) * p.input + cached * p.cachedInput + u.output_tokens * p.output) / 1_000_000;
}
