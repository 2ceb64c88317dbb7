import type { FieldProblem, TriggerMapping } from '@agentd/protocol';
import { compileTemplate, evaluateTemplate, ExpressionError, templateExpressions, type CompiledTemplate, type ExpressionScope } from '@agentd/protocol/workflow';
import { DomainError } from '../core/index.ts';

/** The names a trigger's template may read: the parsed body and the delivery's headers. */
const SCOPE_NAMES: ReadonlySet<string> = new Set(['body', 'headers']);

/** Headers a template never sees: they carry the trigger's secret or its signatures. */
const HIDDEN_HEADERS: ReadonlySet<string> = new Set(['authorization', 'webhook-signature', 'cookie', 'proxy-authorization']);

/** A mapping checked and compiled once per trigger row (see TriggerReceiver's cache). */
export type CompiledMapping = { kind: 'body' } | { kind: 'pointer'; tokens: string[]; pointer: string } | { kind: 'template'; template: CompiledTemplate };

/** RFC 6901: `/a~1b/~0c` → `["a/b", "~c"]`; `""` is the whole document. */
function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Checks a mapping as given in a create or update (the problems name `path`); returns it compiled.
 * A template's expressions may read `body` and `headers` only, and are parsed now, so a delivery
 * never meets a syntax error.
 */
export function compileMapping(mapping: TriggerMapping | null | undefined, path: string, problems: FieldProblem[]): CompiledMapping {
  if (!mapping) return { kind: 'body' };
  if ('pointer' in mapping) {
    if (mapping.pointer !== '' && !mapping.pointer.startsWith('/')) problems.push({ path: `${path}.pointer`, message: 'must be a JSON pointer: empty, or starting with /' });
    if (/~[^01]|~$/.test(mapping.pointer)) problems.push({ path: `${path}.pointer`, message: 'a ~ must be followed by 0 or 1 (RFC 6901)' });
    return { kind: 'pointer', tokens: pointerTokens(mapping.pointer), pointer: mapping.pointer };
  }
  const template = compileTemplate(mapping.template, `${path}.template`, problems);
  for (const e of templateExpressions(template)) {
    for (const ref of e.references) {
      if (!SCOPE_NAMES.has(ref.name)) problems.push({ path: e.path, message: `${ref.name} is not in scope (position ${ref.position}): a trigger's expressions read body and headers` });
    }
  }
  return { kind: 'template', template };
}

/** The delivery's headers as a template sees them: lower-cased, strings, secrets left out. */
export function visibleHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    if (v === undefined || HIDDEN_HEADERS.has(name)) continue;
    out[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

const unmappable = (message: string, details?: unknown) => new DomainError('TRIGGER_PAYLOAD_INVALID', message, details);

/** The run input of one delivery; TRIGGER_PAYLOAD_INVALID (422) when the mapping fails on it. */
export async function mapPayload(m: CompiledMapping, body: unknown, headers: () => Record<string, string>): Promise<unknown> {
  if (m.kind === 'body') return body;
  if (m.kind === 'pointer') {
    let at: unknown = body;
    for (let i = 0; i < m.tokens.length; i++) {
      const t = m.tokens[i];
      const here = Array.isArray(at) ? (/^(0|[1-9][0-9]*)$/.test(t) ? at[Number(t)] : undefined) : at !== null && typeof at === 'object' && Object.hasOwn(at, t) ? (at as Record<string, unknown>)[t] : undefined;
      if (here === undefined) {
        const where = '/' + m.tokens.slice(0, i + 1).map((x) => x.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
        throw unmappable(`the body has nothing at ${where} (the trigger's mapping takes the input from ${m.pointer})`, [{ path: `body${where.replace(/\//g, '.')}`, message: 'is missing' }]);
      }
      at = here;
    }
    return at;
  }
  const scope = { body, headers: headers() } as unknown as ExpressionScope;
  try {
    const value = await evaluateTemplate(m.template, scope);
    return value === undefined ? null : value;
  } catch (err) {
    if (err instanceof ExpressionError) throw unmappable(`the trigger's mapping failed on this body: ${err.message}`, [{ path: err.path.replace(/^body\./, ''), message: `${err.code}: ${err.message}` }]);
    throw err;
  }
}
