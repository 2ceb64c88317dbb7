import { SseDecoder, type SseMessage } from './sse-decoder.ts';

/**
 * Reads SSE messages from a response body as they arrive. Bytes are decoded with a streaming
 * TextDecoder so a UTF-8 character split across chunks is not mangled. `onChunk` is called for
 * every chunk received.
 *
 * @example
 * for await (const message of readSseMessages(response.body!)) console.log(message.event, message.data);
 */
export async function* readSseMessages(
  body: ReadableStream<Uint8Array>,
  onChunk?: () => void,
): AsyncGenerator<SseMessage> {
  const decoder = new SseDecoder();
  const text = new TextDecoder('utf-8');
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Pings are comments and produce no message; this lets an idle watchdog see them anyway.
      onChunk?.();
      yield* decoder.decode(text.decode(value, { stream: true }));
    }
    yield* decoder.decode(text.decode());
    yield* decoder.flush();
  } finally {
    // Cancelling (not just releasing) closes the connection when the consumer stops early.
    await reader.cancel().catch(() => undefined);
  }
}
