/** The public face of tools/: the one shape of an LLM agent's tools, their caps, http_fetch. */
export type { ToolCallRequest, ToolOutcome, ToolRunner, ToolSpec } from './tool.ts';
export { argsValidator, capSignal, DEFAULT_TOOL_CAPS, outcomeOfError, redact, toolError, withoutSchemaKeyword } from './tool-caps.ts';
export type { ToolCaps } from './tool-caps.ts';
export { httpFetchTool } from './http-fetch-tool.ts';
export type { HttpFetchToolOptions, SecretHeader } from './http-fetch-tool.ts';
export type { ToolFactory, ToolFactoryRequest } from './tool-factory.ts';
