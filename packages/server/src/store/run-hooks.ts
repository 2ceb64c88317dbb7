import type { ApprovalsTable, RunsTable } from './db-types.ts';
import type { WriteContext } from './write-queue.ts';

/** A child run as it ended: what a reaction to it needs (its parent, key, step, how it ended). */
export type EndedChild = Pick<RunsTable, 'id' | 'tenant_id' | 'agent' | 'status' | 'parent_run_id' | 'root_run_id' | 'call_key' | 'step'> & { parent_run_id: string };

/**
 * Runs inside the transaction that moved a child run (one with a parent) into a terminal status,
 * after its terminal event: whatever it writes commits or rolls back with the child's end, so a
 * kill -9 never leaves a child ended and its parent not told. A hook that throws fails the write.
 */
export type ChildEndedHook = (ctx: WriteContext, child: EndedChild) => Promise<void>;

/** Runs in the transaction that moved a workflow run (kind `workflow`) into a terminal status, after its children's cascade. */
export type WorkflowEndedHook = (ctx: WriteContext, run: Pick<RunsTable, 'id' | 'tenant_id' | 'status'>) => Promise<void>;

/**
 * Runs in the transaction that moved a session's run (one with `session_id`) into a terminal
 * status: the reply appended to the history, the session's next enqueued message admitted.
 */
export type SessionRunEndedHook = (ctx: WriteContext, run: Pick<RunsTable, 'id' | 'tenant_id'> & { session_id: string }) => Promise<void>;

/** What a leased task of a session's run carries: the session and the history before its message. */
export interface TaskSessionContext {
  id: string;
  messages: { role: 'user' | 'assistant'; content: unknown; seq: number; status: string }[];
}

/**
 * Reads, in the leasing transaction, the session context of the leased runs that belong to a
 * session (by run id). Registered by sessions/; leases/ calls it only when a leased run has one.
 */
export type SessionTaskContext = (ctx: WriteContext, runs: readonly (Pick<RunsTable, 'id' | 'tenant_id'> & { session_id: string })[]) => Promise<Map<string, TaskSessionContext>>;

/** Runs in the decision's (or expiry's) transaction of an approval with source `workflow`, once it is settled; `run` is locked. */
export type ApprovalSettledHook = (ctx: WriteContext, approval: ApprovalsTable, approved: boolean, run: RunsTable) => Promise<void>;

/**
 * The in-transaction reactions other concepts register on the run state machine: one set per
 * store (so two servers in one process share none), reached as `ctx.runHooks` inside a write.
 * The state machine calls them (runs/run-tree.ts); nothing else does.
 */
export class RunHooks {
  readonly #childEnded: ChildEndedHook[] = [];

  /**
   * Registers `hook` for every child run's terminal transition, in order of registration; a hook
   * already registered is not added twice (two engines built on one store share its hooks).
   * Answers its removal.
   */
  onChildEnded(hook: ChildEndedHook): () => void {
    if (!this.#childEnded.includes(hook)) this.#childEnded.push(hook);
    return () => {
      const i = this.#childEnded.indexOf(hook);
      if (i >= 0) this.#childEnded.splice(i, 1);
    };
  }

  get childEnded(): readonly ChildEndedHook[] {
    return this.#childEnded;
  }

  readonly #workflowEnded: WorkflowEndedHook[] = [];
  readonly #approvalSettled: ApprovalSettledHook[] = [];

  /** As onChildEnded, for a workflow run's own end (called by the state machine, runs/run-tree.ts). */
  onWorkflowEnded(hook: WorkflowEndedHook): () => void {
    return register(this.#workflowEnded, hook);
  }

  /** As onChildEnded, for the decision of a workflow's approval gate (called by approvals/). */
  onApprovalSettled(hook: ApprovalSettledHook): () => void {
    return register(this.#approvalSettled, hook);
  }

  readonly #sessionRunEnded: SessionRunEndedHook[] = [];
  #sessionTasks: SessionTaskContext | null = null;

  /** As onChildEnded, for the end of a session's run (called by the state machine, runs/run-tree.ts). */
  onSessionRunEnded(hook: SessionRunEndedHook): () => void {
    return register(this.#sessionRunEnded, hook);
  }

  get sessionRunEnded(): readonly SessionRunEndedHook[] {
    return this.#sessionRunEnded;
  }

  /** The one reader of a session run's context for its task (sessions/ sets it; a second engine replaces it). */
  setSessionTaskContext(read: SessionTaskContext): void {
    this.#sessionTasks = read;
  }

  get sessionTaskContext(): SessionTaskContext | null {
    return this.#sessionTasks;
  }

  get workflowEnded(): readonly WorkflowEndedHook[] {
    return this.#workflowEnded;
  }

  get approvalSettled(): readonly ApprovalSettledHook[] {
    return this.#approvalSettled;
  }
}

function register<H>(list: H[], hook: H): () => void {
  if (!list.includes(hook)) list.push(hook);
  return () => {
    const i = list.indexOf(hook);
    if (i >= 0) list.splice(i, 1);
  };
}
