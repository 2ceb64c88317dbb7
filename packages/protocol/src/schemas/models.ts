/**
 * Model aliases: the `models:` section of the config file (`agentd serve --config agentd.yaml`).
 * An LLM agent names an alias (`spec.model`), never a provider, a URL or a key: the server makes
 * the model call, with the key read from the vault secret `api_key_secret`.
 */
import Type, { type Static } from 'typebox';
import { OneOf } from './common.ts';

export const MODEL_PROVIDERS = ['openai-compatible', 'openai', 'anthropic'] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

/** An alias name: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const ModelAliasName = Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });

const Duration = Type.String({ minLength: 1, maxLength: 20, description: 'A duration such as `30s` or `2m`.' });
const PerMillion = Type.Number({ minimum: 0, description: 'Price in US dollars per million tokens.' });

/** One alias as written in the config file (snake_case, like the rest of the wire). */
export const ModelAliasConfig = Type.Object(
  {
    provider: OneOf(MODEL_PROVIDERS),
    base_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Required for openai-compatible; defaults to the provider’s own for openai and anthropic.' })),
    model: Type.String({ minLength: 1, maxLength: 200, description: 'The provider’s model id.' }),
    api_key_secret: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Name of the vault secret holding the API key (tenant of the run). Absent: no key is sent.' })),
    prices: Type.Optional(
      Type.Object(
        { input: Type.Optional(PerMillion), output: Type.Optional(PerMillion), cached_input: Type.Optional(PerMillion) },
        { additionalProperties: false },
      ),
    ),
    timeout: Type.Optional(Duration),
    max_retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Retries of a 429 or 5xx (honouring Retry-After). Default 2.' })),
    fallback: Type.Optional(ModelAliasName),
    requests_per_minute: Type.Optional(Type.Integer({ minimum: 1, description: 'Shared by all nodes.' })),
    tokens_per_minute: Type.Optional(Type.Integer({ minimum: 1, description: 'Shared by all nodes.' })),
  },
  { additionalProperties: false },
);
export type ModelAliasConfig = Static<typeof ModelAliasConfig>;

/** The `models:` section: alias name → alias. */
export const ModelsSection = Type.Record(Type.String(), ModelAliasConfig);
export type ModelsSection = Static<typeof ModelsSection>;
