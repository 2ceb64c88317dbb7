import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSseJson, readSseMessages, SseDecoder, SseLineDecoder, SseParseError, type SseMessage } from '../src/sse/index.ts';

function decodeAll(chunks: string[]): SseMessage[] {
  const decoder = new SseDecoder();
  const out = chunks.flatMap((c) => decoder.decode(c));
  return [...out, ...decoder.flush()];
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

describe('SseLineDecoder', () => {
  it('splits on LF, CR and CRLF', () => {
    assert.deepEqual(new SseLineDecoder().decode('a\nb\rc\r\nd'), ['a', 'b', 'c']);
  });

  it('treats a CRLF split across chunks as one line end', () => {
    const d = new SseLineDecoder();
    assert.deepEqual(d.decode('a\r'), ['a']);
    assert.deepEqual(d.decode(''), []);
    assert.deepEqual(d.decode('\nb\n'), ['b']);
  });

  it('keeps an unterminated line until the next chunk', () => {
    const d = new SseLineDecoder();
    assert.deepEqual(d.decode('par'), []);
    assert.deepEqual(d.decode('tial\n'), ['partial']);
    assert.deepEqual(d.flush(), []);
  });
});

describe('SseDecoder', () => {
  it('parses id, event and data with CRLF line endings', () => {
    const [m] = decodeAll(['id: 7\r\nevent: run.log\r\ndata: {"a":1}\r\n\r\n']);
    assert.deepEqual(m, { event: 'run.log', data: '{"a":1}', id: '7', retry: undefined });
  });

  it('handles bare CR line endings', () => {
    const [m] = decodeAll(['id: 1\revent: x\rdata: y\r\r']);
    assert.equal(m.id, '1');
    assert.equal(m.data, 'y');
  });

  it('joins multi-line data with newlines', () => {
    const [m] = decodeAll(['data: line one\ndata: line two\ndata:\ndata:  indented\n\n']);
    assert.equal(m.data, 'line one\nline two\n\n indented');
  });

  it('assembles a frame split at every character', () => {
    const text = 'id: 42\r\nevent: run.progress\r\ndata: {"progress":0.5}\r\n\r\n';
    const messages = decodeAll([...text]);
    assert.equal(messages.length, 1);
    assert.deepEqual(messages[0], { event: 'run.progress', data: '{"progress":0.5}', id: '42', retry: undefined });
  });

  it('ignores comments (pings) and unknown fields', () => {
    const messages = decodeAll([': ping\n\n', 'foo: bar\ndata: x\n\n', ':another\n']);
    assert.deepEqual(messages.map((m) => m.data), ['x']);
  });

  it('defaults the event to "message" and keeps the last id across frames', () => {
    const messages = decodeAll(['id: 5\ndata: a\n\n', 'data: b\n\n']);
    assert.deepEqual(messages.map((m) => [m.event, m.id]), [['message', '5'], ['message', '5']]);
  });

  it('reports retry, even on a frame with no data', () => {
    const messages = decodeAll(['retry: 1500\n\n', 'retry: soon\ndata: x\n\n']);
    assert.deepEqual(messages.map((m) => [m.event, m.retry]), [['', 1500], ['message', undefined]]);
  });

  it('discards an event without its closing blank line at end of stream', () => {
    assert.deepEqual(decodeAll(['data: complete\n\ndata: incomplete\n']).map((m) => m.data), ['complete']);
  });

  it('strips a leading byte order mark', () => {
    assert.equal(decodeAll(['\ufeffdata: x\n\n'])[0].data, 'x');
  });
});

describe('readSseMessages', () => {
  it('decodes UTF-8 characters split across byte chunks', async () => {
    const bytes = new TextEncoder().encode('data: {"text":"héllo ✓"}\r\n\r\n');
    const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
    const messages: SseMessage[] = [];
    for await (const m of readSseMessages(streamOf(chunks))) messages.push(m);
    assert.deepEqual(JSON.parse(messages[0].data), { text: 'héllo ✓' });
  });
});

describe('parseSseJson', () => {
  it('throws SseParseError on bad JSON instead of skipping the event', () => {
    const [m] = decodeAll(['id: 3\nevent: run.log\ndata: {not json\n\n']);
    assert.throws(() => parseSseJson(m), (err: unknown) => err instanceof SseParseError && err.eventId === '3' && err.cause instanceof SyntaxError);
  });
});
