/** One dispatched SSE event, as the WHATWG event-stream rules define it. */
export interface SseMessage {
  /** The `event:` field; `message` when the frame had none; `''` for a frame that only set `retry:`. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last event id seen so far (it carries over frames that set none), or undefined. */
  id: string | undefined;
  /** The `retry:` reconnection time in ms, when this frame set one. */
  retry: number | undefined;
}

/**
 * Splits text into lines on CR, LF or CRLF, across chunk boundaries: a CR at the end of one
 * chunk may be the first half of a CRLF, so it is held until the next chunk shows which.
 */
export class SseLineDecoder {
  #buffer = '';
  #pendingCR = false;

  decode(text: string): string[] {
    if (text === '') return [];
    if (this.#pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCR = false;
    const lines: string[] = [];
    let rest = this.#buffer + text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(rest);
      if (!match) break;
      // A CR as the very last character might be a split CRLF: treat it as a line end now and
      // drop a leading LF of the next chunk.
      if (match[0] === '\r' && match.index === rest.length - 1) this.#pendingCR = true;
      lines.push(rest.slice(0, match.index));
      rest = rest.slice(match.index + match[0].length);
    }
    this.#buffer = rest;
    return lines;
  }

  /** The unterminated tail at end of stream; by the SSE rules it never completes an event. */
  flush(): string[] {
    const tail = this.#buffer;
    this.#buffer = '';
    this.#pendingCR = false;
    return tail ? [tail] : [];
  }
}

/**
 * Turns decoded text into SSE messages: `data:` lines accumulate (multi-line data), `id:`,
 * `event:` and `retry:` set fields, lines starting with `:` are comments (keep-alive pings), a
 * blank line dispatches. Parsing JSON is the caller's job, so a bad payload surfaces as an error
 * there instead of being dropped here.
 *
 * @example
 * const decoder = new SseDecoder();
 * for (const msg of decoder.decode('id: 1\nevent: run.log\ndata: {"a":1}\n\n')) console.log(msg.data);
 */
export class SseDecoder {
  #lines = new SseLineDecoder();
  #data: string[] = [];
  #event = '';
  #lastId: string | undefined;
  #retry: number | undefined;
  #started = false;

  decode(text: string): SseMessage[] {
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return this.#process(this.#lines.decode(text));
  }

  /** End of stream: an event without its closing blank line is discarded, as the spec says. */
  flush(): SseMessage[] {
    this.#process(this.#lines.flush());
    this.#data = [];
    this.#event = '';
    return [];
  }

  #process(lines: string[]): SseMessage[] {
    const out: SseMessage[] = [];
    for (const line of lines) {
      const message = this.#line(line);
      if (message) out.push(message);
    }
    return out;
  }

  #line(line: string): SseMessage | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.#retry = Number(value);
    return undefined;
  }

  #dispatch(): SseMessage | undefined {
    const retry = this.#retry;
    this.#retry = undefined;
    if (this.#data.length === 0) {
      this.#event = '';
      // A frame with only `retry:` still matters to the reconnect logic.
      return retry === undefined ? undefined : { event: '', data: '', id: this.#lastId, retry };
    }
    const message: SseMessage = { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#lastId, retry };
    this.#data = [];
    this.#event = '';
    return message;
  }
}
