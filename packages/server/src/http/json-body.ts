import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body's text holds a `\u0000` escape: only then is it walked for NUL (request-guards.ts). */
    bodyHasNul: boolean;
  }
}

/** Deeper documents are refused before parsing: they exist to exhaust stacks in validators and serialisers. */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of a JSON text, counting brackets outside strings; stops early past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

/**
 * JSON bodies: Fastify's parser (which refuses `__proto__` and `constructor.prototype`) behind a
 * depth check.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.decorateRequest('bodyHasNul', false);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(new ApiError('VALIDATION_ERROR', `JSON nested deeper than ${MAX_JSON_DEPTH} levels is refused`), undefined);
      return;
    }
    // JSON can hold NUL only as the escape \u0000: a text without one needs no NUL check (request-guards.ts).
    if (text.includes('\\u0000')) request.bodyHasNul = true;
    parse(request, text, done);
  });
}
