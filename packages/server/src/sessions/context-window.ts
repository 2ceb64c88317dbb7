/**
 * The context window of a session's run: which earlier messages the run sees. A session's
 * history is stored once (session_messages); each run gets the part of it its agent's policy
 * allows, newest kept, oldest dropped.
 */

/** An agent's context-window policy. Both limits may be given: the stricter one wins. */
export interface ContextPolicy {
  /** Keep at most this many of the newest messages. */
  max_messages?: number;
  /** Keep the newest messages whose estimated tokens fit this budget (see estimateTokens). */
  max_tokens?: number;
}

/**
 * What a worker agent's run sees (ctx.session.messages) and the default for an agent that
 * declares no policy: the newest 200 messages.
 */
export const DEFAULT_CONTEXT_POLICY: ContextPolicy = { max_messages: 200 };

/** One message as a model's chat API takes it. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * A rough token count (4 characters a token, the usual estimate for English text): enough to
 * keep a history under a budget without loading a tokenizer per model.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4; // + the per-message framing of chat formats
}

/**
 * The newest messages the policy allows, oldest first. A history that opens with a reply (its
 * user message dropped) loses that reply too, so the window starts with a user turn.
 */
export function applyContextPolicy<M extends { role: string }>(messages: readonly M[], policy: ContextPolicy, tokensOf: (m: M) => number): M[] {
  let start = messages.length;
  let tokens = 0;
  const maxMessages = policy.max_messages ?? Infinity;
  const maxTokens = policy.max_tokens ?? Infinity;
  while (start > 0 && messages.length - start < maxMessages) {
    const t = tokensOf(messages[start - 1]);
    if (tokens + t > maxTokens) break;
    tokens += t;
    start--;
  }
  while (start < messages.length && messages[start].role !== 'user') start++;
  return messages.slice(start);
}

/**
 * A message's content as text for a model: a string as it is; an LLM agent's output object by
 * its `text` (or `answer`, `content`, or an LLM chat input's `message`) field; anything else as JSON.
 */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (content !== null && typeof content === 'object' && !Array.isArray(content)) {
    const o = content as Record<string, unknown>;
    for (const k of ['text', 'answer', 'content', 'message']) if (typeof o[k] === 'string') return o[k];
  }
  return JSON.stringify(content);
}
