import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FieldProblem } from '@agentd/protocol';
import { ApiError } from './errors.ts';

type Schema = Record<string, unknown>;

/** The schema and its `anyOf`/`oneOf`/`allOf` branches, flattened (TypeBox unions and intersections). */
function branches(schema: unknown): Schema[] {
  if (!schema || typeof schema !== 'object') return [];
  const s = schema as Schema;
  const out = [s];
  for (const k of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(s[k])) for (const b of s[k] as unknown[]) out.push(...branches(b));
  return out;
}

const typed = (s: Schema, t: string) => s.type === t || (Array.isArray(s.type) && s.type.includes(t));

/** The schema of property `key` in any branch, or of its items/additional properties. */
function child(all: Schema[], key: string | null): Schema[] {
  const out: Schema[] = [];
  for (const s of all) {
    if (key === null) {
      if (s.items && typeof s.items === 'object') out.push(...branches(s.items));
    } else {
      const props = s.properties as Schema | undefined;
      if (props && Object.hasOwn(props, key)) out.push(...branches(props[key]));
      else if (s.additionalProperties && typeof s.additionalProperties === 'object') out.push(...branches(s.additionalProperties));
    }
  }
  return out;
}

/**
 * Where a NUL character (U+0000) sits in a string the schema types as a string. PostgreSQL cannot
 * store NUL in a text column (the write fails, and takes the rest of its group commit with it), so
 * such strings are refused before any query, on both databases alike. Free-form JSON (a schema
 * without a type: run input, output, metadata, details) is stored as JSON text, where NUL is the
 * escape `\u0000`, and is left alone.
 */
function nulPaths(all: Schema[], value: unknown, path: string, out: FieldProblem[]): void {
  if (out.length >= 20 || all.length === 0) return;
  if (typeof value === 'string') {
    if (value.includes('\u0000') && all.some((s) => typed(s, 'string'))) out.push({ path, message: 'must not contain the NUL character (U+0000)' });
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => nulPaths(child(all, null), v, `${path}.${i}`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) nulPaths(child(all, k), v, `${path}.${k}`, out);
}

/** Query and path values that coercion turned into numbers JSON cannot hold (`1e400`, `Infinity`). */
function nonFinite(values: unknown, root: string, out: FieldProblem[]): void {
  if (!values || typeof values !== 'object') return;
  for (const [k, v] of Object.entries(values)) {
    for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'number' && !Number.isFinite(x)) out.push({ path: `${root}.${k}`, message: 'must be a finite number' });
  }
}

function problemsOf(request: FastifyRequest): FieldProblem[] {
  const problems: FieldProblem[] = [];
  // Ajv coerces the string "Infinity" (or "1e400") to a number and then skips `minimum`/`maximum`
  // for it, so `?limit=Infinity` passed validation and reached SQL as a 500 on every list route.
  nonFinite(request.query, 'query', problems);
  nonFinite(request.params, 'params', problems);
  // Path and query values are stored or compared as text: no schema lets them carry NUL.
  for (const [root, values] of [['params', request.params], ['query', request.query]] as const) {
    if (!values || typeof values !== 'object') continue;
    for (const [k, v] of Object.entries(values)) {
      for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' && x.includes('\u0000')) problems.push({ path: `${root}.${k}`, message: 'must not contain the NUL character (U+0000)' });
    }
  }
  const bodySchema = request.routeOptions.schema?.body;
  // The walk costs a schema lookup per value (a 500-run batch is thousands); the parser has said whether there is anything to find.
  if (request.body !== undefined && bodySchema && request.bodyHasNul) nulPaths(branches(bodySchema), request.body, 'body', problems);
  return problems;
}

/** Checks the route schema cannot express, run after validation and before any handler. */
export function registerRequestGuards(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    const problems = problemsOf(request);
    if (problems.length > 0) throw new ApiError('VALIDATION_ERROR', 'the request does not match the schema', problems);
  });
}
