/**
 * The one shape of a tool an LLM agent's loop can call (agent endpoints as child runs, MCP server
 * tools, http_fetch). The loop (llm/) validates arguments against `spec.inputSchema` before
 * `call`, records each outcome as a run event, and gives the outcome to the model.
 */

/** What the model is told about a tool. */
export interface ToolSpec {
  /** Unique within the agent; what the model calls. */
  name: string;
  description: string;
  /** JSON Schema of the arguments (an object schema). */
  inputSchema: Record<string, unknown>;
  /**
   * May be called again when a crash left its outcome unknown (child runs are, by their call
   * key). A call of a tool that is not is reported to the model as "outcome unknown" instead.
   */
  idempotent: boolean;
}

export interface ToolCallRequest {
  tenantId: string;
  runId: string;
  agentName: string;
  /** The model's id of this call: stable across retries of the loop. */
  toolCallId: string;
  args: unknown;
  /** Aborted when the run is cancelled, its lease lost, or the tool's time cap passes. */
  signal: AbortSignal;
  /**
   * The value of a vault secret granted to the agent (undefined when it is not granted). For
   * tools only (an http_fetch header, MCP auth): values never go into the model's context,
   * events or logs.
   */
  secret(name: string): Promise<string | undefined>;
}

/** A tool's outcome as the model gets it; errors are outcomes too (the loop goes on). */
export type ToolOutcome = { ok: true; output: unknown } | { ok: false; error: { code: string; message: string } };

export interface ToolRunner {
  spec: ToolSpec;
  call(req: ToolCallRequest): Promise<ToolOutcome>;
  /** Ends what the runner holds between calls (an MCP server's client); the loop calls it once it ends. May be shared by several runners, so it is idempotent. */
  close?(): Promise<void>;
}
