/** The public face of llm/: the LLM runtime (the runner every node starts) and its usage port. */
export { LlmRunner, type LlmRunnerOptions } from './llm-runner.ts';
export { costOf, DEFAULT_MODEL_RETRIES } from './language-models.ts';
export { RunLimitsUsage } from './usage-port.ts';
export type { BudgetQuery, BudgetVerdict, RateAdmission, RunSpend, StepUsage, UsagePort, UsageRecord } from './usage-port.ts';
export { userMessageOf } from './llm-loop.ts';
