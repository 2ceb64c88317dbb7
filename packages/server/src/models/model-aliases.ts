import type { ModelAliasConfig, ModelInfo } from '@agentd/protocol/schemas';

/** Prices of one alias in USD per million tokens; the cached price defaults to the input price. */
export interface ModelPrices {
  input: number;
  output: number;
  cachedInput: number;
}

/**
 * The model aliases of this server (the config file's `models:` section). The record is kept by
 * reference, never copied: a config reload that replaces its entries in place is seen by the
 * next lookup. Every node must be given the same aliases: the shared rate limits are keyed by
 * alias name.
 */
export class ModelAliases {
  readonly #aliases: Readonly<Record<string, ModelAliasConfig>>;

  constructor(aliases: Readonly<Record<string, ModelAliasConfig>> = {}) {
    this.#aliases = aliases;
  }

  get(alias: string): ModelAliasConfig | undefined {
    return Object.hasOwn(this.#aliases, alias) ? this.#aliases[alias] : undefined;
  }

  names(): string[] {
    return Object.keys(this.#aliases);
  }

  has(alias: string): boolean {
    return Object.hasOwn(this.#aliases, alias);
  }

  /**
   * The prices cost is computed from. An alias without prices (or an alias no longer configured)
   * costs 0: its tokens are still counted, so token budgets still hold, and a cost limit that
   * applies to its call refuses the call (see isPriced).
   */
  prices(alias: string): ModelPrices {
    const p = this.get(alias)?.prices ?? {};
    const input = p.input ?? 0;
    return { input, output: p.output ?? 0, cachedInput: p.cached_input ?? input };
  }

  /**
   * Whether the alias states both an input and an output price (0 is a price). A call of an alias
   * that does not cannot be held to a cost limit: checkBudget refuses it (fail closed).
   */
  isPriced(alias: string): boolean {
    const p = this.get(alias)?.prices;
    return p?.input !== undefined && p.output !== undefined;
  }

  /** `GET /v1/models`, sorted by alias: no key and no credentials, whatever the config holds. */
  list(): ModelInfo[] {
    return Object.entries(this.#aliases)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([alias, c]) => ({
        alias,
        provider: c.provider,
        model: c.model,
        base_url: c.base_url === undefined ? null : publicUrl(c.base_url),
        api_key_secret: c.api_key_secret ?? null,
        prices: { input: c.prices?.input ?? null, output: c.prices?.output ?? null, cached_input: c.prices?.cached_input ?? c.prices?.input ?? null },
        requests_per_minute: c.requests_per_minute ?? null,
        tokens_per_minute: c.tokens_per_minute ?? null,
        fallback: c.fallback ?? null,
      }));
  }
}

/**
 * A base URL without user info, query or fragment: gateways are sometimes configured with a key
 * in the URL (`https://user:key@host`, `?api-key=…`), and this list is readable by any key.
 * An unparsable URL is not shown at all.
 */
export function publicUrl(raw: string): string | null {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return null;
  }
}
