export { SseDecoder, SseLineDecoder, type SseMessage } from './sse-decoder.ts';
export { readSseMessages } from './sse-body-reader.ts';
export { parseSseJson, SseParseError } from './sse-parse-error.ts';
export { DEFAULT_IDLE_TIMEOUT_MS, EventStream, type EventStreamConfig } from './event-stream.ts';
