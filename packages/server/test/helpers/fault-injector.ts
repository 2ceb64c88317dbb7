/**
 * A fault injector for the write path: a Kysely plugin on the writer's connection (store option
 * `writerPlugins`) that makes the n-th statement from now throw, wherever it falls — in the middle
 * of an operation, after some of its writes, or in the batch's own event insert. The statement
 * never reaches the database; to the code under test it is a statement that failed.
 */
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { DomainError } from '../../src/core/index.ts';

export class InjectedFault extends Error {
  constructor(statement: number) {
    super(`injected store failure at statement ${statement}`);
    this.name = 'InjectedFault';
  }
}

/**
 * The same, as a domain error: what a service throws on purpose, here after some of its writes
 * (a conflict found late). Told apart from a real one by its class (isInjected), not its code.
 */
export class InjectedDomainFault extends DomainError {
  constructor(statement: number) {
    super('RUN_ALREADY_TERMINAL', `injected domain error at statement ${statement}`);
  }
}

export const isInjected = (err: unknown): boolean => err instanceof InjectedFault || err instanceof InjectedDomainFault;

export class FaultInjector implements KyselyPlugin {
  /** Statements left before the failing one; null when disarmed. */
  #countdown: number | null = null;
  #domain = false;
  /** Statements seen while armed, and faults thrown, for the test's report. */
  statements = 0;
  faults = 0;

  /** The `n`-th statement from now (1 = the next) throws InjectedFault, or InjectedDomainFault with `domain`. */
  failAfter(n: number, opts: { domain?: boolean } = {}): void {
    this.#countdown = n;
    this.#domain = opts.domain ?? false;
  }

  disarm(): void {
    this.#countdown = null;
  }

  get armed(): boolean {
    return this.#countdown !== null;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (this.#countdown !== null) {
      this.statements++;
      if (--this.#countdown <= 0) {
        this.#countdown = null;
        this.faults++;
        throw this.#domain ? new InjectedDomainFault(this.statements) : new InjectedFault(this.statements);
      }
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
