/**
 * A fault injector for the write path: a Kysely plugin on the writer's connection (store option
 * `writerPlugins`) that makes the n-th statement from now throw, wherever it falls — in the middle
 * of an operation, after some of its writes, or in the batch's own event insert. The statement
 * never reaches the database; to the code under test it is a statement that failed.
 */
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

export class InjectedFault extends Error {
  constructor(statement: number) {
    super(`injected store failure at statement ${statement}`);
    this.name = 'InjectedFault';
  }
}

export class FaultInjector implements KyselyPlugin {
  /** Statements left before the failing one; null when disarmed. */
  #countdown: number | null = null;
  /** Statements seen while armed, and faults thrown, for the test's report. */
  statements = 0;
  faults = 0;

  /** The `n`-th statement from now (1 = the next) throws InjectedFault. */
  failAfter(n: number): void {
    this.#countdown = n;
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
        throw new InjectedFault(this.statements);
      }
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
