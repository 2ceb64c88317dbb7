/** The public face of llm/: the LLM runtime (the runner every node starts, model aliases, the usage port). */
export { LlmRunner, type LlmRunnerOptions } from './llm-runner.ts';
export { ModelAliases, costOf, DEFAULT_MODEL_RETRIES } from './model-aliases.ts';
export { RunLimitsUsage } from './usage-port.ts';
export type { BudgetQuery, BudgetVerdict, RunSpend, StepUsage, UsagePort, UsageRecord } from './usage-port.ts';
export { userMessageOf } from './llm-loop.ts';
