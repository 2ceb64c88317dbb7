import { AgentdError } from '../errors/index.ts';
import type { SseMessage } from './sse-decoder.ts';

/**
 * An SSE frame whose `data:` is not the JSON the server promised. Thrown to the consumer, never
 * skipped: a silently dropped event would leave a gap the caller cannot see.
 */
export class SseParseError extends AgentdError {
  override name = 'SseParseError';
  readonly data: string;
  readonly eventId: string | undefined;

  constructor(message: SseMessage, cause: unknown) {
    super(`Invalid JSON in SSE event ${message.event}${message.id ? ` (id ${message.id})` : ''}: ${message.data.slice(0, 200)}`, { cause });
    this.data = message.data;
    this.eventId = message.id;
  }
}

/**
 * Parses a frame's data as JSON, throwing `SseParseError` when it is not.
 * @example
 * const event = parseSseJson<RunEvent>(message);
 */
export function parseSseJson<T>(message: SseMessage): T {
  try {
    return JSON.parse(message.data) as T;
  } catch (err) {
    throw new SseParseError(message, err);
  }
}
