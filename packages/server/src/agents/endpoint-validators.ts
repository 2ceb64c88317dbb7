import type { EndpointSpec } from '@agentd/protocol';
import { compileUserSchema, type ValidateFunction } from '@agentd/protocol/manifest';
import { LRUCache } from 'lru-cache';
import { DomainError } from '../core/index.ts';

export interface EndpointValidator {
  input: ValidateFunction;
  output: ValidateFunction;
}

/**
 * Compiled input/output validators per (tenant, agent, version, endpoint). Versions are immutable,
 * so an entry is never stale; the cache is bounded, least recently used first out.
 *
 * Each schema is compiled by its own Ajv instance (`compileUserSchema`): one shared instance
 * registered every `$id` it saw, so two agents whose schemas share an `$id`, a redeploy, or a
 * recompile after eviction answered 500 ("schema with key or id already exists"), and it kept
 * every schema it ever compiled, whatever this cache evicted.
 */
export class EndpointValidators {
  readonly #cache: LRUCache<string, EndpointValidator>;

  /** `max`: entries kept. Default 1000. */
  constructor(opts: { max?: number } = {}) {
    this.#cache = new LRUCache({ max: opts.max ?? 1000 });
  }

  get(key: { tenantId: string; agent: string; version: number; endpoint: string }, spec: EndpointSpec): EndpointValidator {
    const k = `${key.tenantId}\u0000${key.agent}\u0000${key.version}\u0000${key.endpoint}`;
    let v = this.#cache.get(k);
    if (!v) {
      v = { input: compile(spec.input, 'input'), output: compile(spec.output, 'output') };
      this.#cache.set(k, v);
    }
    return v;
  }

  /** Entries held now (for tests and metrics). */
  get size(): number {
    return this.#cache.size;
  }
}

/**
 * Deploy compiles every schema the same way, so this fails only for a version stored before
 * schemas were compiled alone (one that leaned on another schema's `$id`): a 422 that says so,
 * not a 500.
 */
function compile(schema: Record<string, unknown>, which: 'input' | 'output'): ValidateFunction {
  try {
    return compileUserSchema(schema);
  } catch (err) {
    throw new DomainError('MANIFEST_INVALID', `the endpoint's ${which} schema does not compile on its own; deploy a fixed version`, [{ path: which, message: (err as Error).message }]);
  }
}
