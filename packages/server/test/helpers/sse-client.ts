import http from 'node:http';

export interface SseFrame {
  id: string | null;
  event: string;
  data: string;
}

/**
 * A minimal SSE reader over a real socket, independent of the SDK's decoder: reads frames until
 * `stopAfter` returns true, `maxFrames` frames, the server closes or cuts the stream, or `timeoutMs`.
 */
export function readSse(
  url: string,
  opts: { key: string; lastEventId?: string; maxFrames?: number; timeoutMs?: number; stopAfter?: (f: SseFrame) => boolean },
): Promise<{ frames: SseFrame[]; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.key}`, accept: 'text/event-stream' };
    if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
    const frames: SseFrame[] = [];
    let buffer = '';
    let cur: SseFrame = { id: null, event: 'message', data: '' };
    let finished = false;
    const req = http.get(url, { headers, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => {
          // A refused stream ends the read too: its timer must not outlive the test.
          finished = true;
          clearTimeout(timer);
          reject(new Error(`SSE ${res.statusCode}: ${body}`));
        });
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (cur.data !== '' || cur.id !== null) {
              frames.push(cur);
              if ((opts.maxFrames && frames.length >= opts.maxFrames) || opts.stopAfter?.(cur)) return finish(false);
            }
            cur = { id: null, event: 'message', data: '' };
          } else if (!line.startsWith(':')) {
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'data') cur.data = cur.data ? `${cur.data}\n${value}` : value;
            else if (field === 'id') cur.id = value;
            else if (field === 'event') cur.event = value;
          }
        }
      });
      res.on('end', () => finish(true));
      // A stream the server cuts (a dropped slow reader) ends the read now, not at the timeout.
      res.on('error', () => {});
      res.on('close', () => finish(true));
    });
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 10_000);
    req.on('error', (err) => (finished ? undefined : reject(err)));
    function finish(closedByServer: boolean) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ frames, closedByServer });
    }
  });
}
