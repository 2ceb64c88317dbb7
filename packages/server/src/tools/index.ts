/** The public face of tools/: the one shape of an LLM agent's tools, and the factory of the non-agent ones. */
export type { ToolCallRequest, ToolOutcome, ToolRunner, ToolSpec } from './tool.ts';
export type { ToolFactory, ToolFactoryRequest } from './tool-factory.ts';
export { UnavailableToolFactory } from './tool-factory.ts';
