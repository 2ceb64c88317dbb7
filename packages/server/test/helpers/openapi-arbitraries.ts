/**
 * fast-check arbitraries from the OpenAPI document: one request per operation, mostly shaped by
 * its schemas, with a share of hostile values at every level (prototype keys, NUL, non-finite
 * numbers, over-long strings, wrong types, unknown fields), so a fuzz run reaches both the
 * handlers and the validators.
 */
import fc from 'fast-check';

export type JsonSchema = Record<string, any>;

export interface Operation {
  method: string;
  /** `/v1/runs/{id}` */
  path: string;
  op: Record<string, any>;
}

export interface FuzzRequest {
  operation: Operation;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** Values that broke agentd before, or that break servers in general. */
const HOSTILE_STRINGS = [
  '', ' ', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype',
  'a\u0000b', '\u0000', '%00', '%', '%zz', '..', '../../etc/passwd', "'; DROP TABLE runs; --", '%_', '\\', '"', '\ud800',
  'Infinity', '-Infinity', 'NaN', '1e400', '-0', '0x10', '9007199254740993', '*',
  'x'.repeat(300), 'y'.repeat(3000), '😀'.repeat(50), '\r\nX-Injected: 1',
];

export const hostileString = fc.constantFrom(...HOSTILE_STRINGS);
const hostileNumber = fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, -0);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constantFrom(null, true, false, [], {}, { __proto__: null }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A JSON-looking object with a key that is a prototype name, as raw JSON text would carry it. */
const protoKeyObject = fc.constantFrom('__proto__', 'constructor', 'toString', 'prototype').map((k) => JSON.parse(`{"${k}":{"polluted":true}}`) as unknown);

/** Percent-encodes a path parameter; a lone surrogate becomes bytes that are not UTF-8 at all. */
function encodePathParam(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return '%ED%A0%80';
  }
}

export class SchemaArbitraries {
  readonly #doc: Record<string, any>;
  /** Values the server already holds (run ids, agent names…), by name, so requests also reach real rows. */
  readonly #known: Map<string, unknown[]>;
  /** Weight of a hostile value against 10 for a well-formed one, at every node. */
  readonly #hostile: number;
  #wellFormed: SchemaArbitraries | undefined;

  constructor(doc: Record<string, any>, known: Map<string, unknown[]>, opts: { hostile?: number } = {}) {
    this.#doc = doc;
    this.#known = known;
    this.#hostile = opts.hostile ?? 1;
  }

  /** The same generator without hostile values: requests that should mostly get through. */
  get wellFormed(): SchemaArbitraries {
    return (this.#wellFormed ??= new SchemaArbitraries(this.#doc, this.#known, { hostile: 0 }));
  }

  #resolve(schema: JsonSchema): JsonSchema {
    let s = schema;
    for (let i = 0; i < 10 && typeof s?.$ref === 'string'; i++) {
      const ref: string = s.$ref;
      if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
      s = ref.slice(2).split('/').reduce((o: any, k) => o?.[k], this.#doc);
    }
    return s ?? {};
  }

  /** Well-formed values for `schema` (as far as this generator understands it). */
  valid(schema: JsonSchema, name = '', depth = 0): fc.Arbitrary<unknown> {
    const s = this.#resolve(schema);
    // Long-polls are kept short, or a few thousand requests would take hours.
    if (name === 'wait_ms') return fc.constantFrom(0, 1, 5);
    const known = this.#known.get(name);
    const base = this.#validBase(s, name, depth);
    return known && known.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 2 }, { arbitrary: base, weight: 1 }) : base;
  }

  /** Mostly `valid`, sometimes hostile, at this node and (through `valid` of children) below. */
  any(schema: JsonSchema, name = '', depth = 0): fc.Arbitrary<unknown> {
    if (this.#hostile === 0) return this.valid(schema, name, depth);
    return fc.oneof({ arbitrary: this.valid(schema, name, depth), weight: 10 }, { arbitrary: hostileValue, weight: this.#hostile }, { arbitrary: protoKeyObject, weight: depth < 2 ? this.#hostile : 0 });
  }

  #validBase(s: JsonSchema, name: string, depth: number): fc.Arbitrary<unknown> {
    if (s.const !== undefined) return fc.constant(s.const);
    if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
    const union = s.anyOf ?? s.oneOf;
    if (Array.isArray(union)) return fc.oneof(...union.map((b: JsonSchema) => this.valid(b, name, depth)));
    if (Array.isArray(s.allOf)) {
      return fc.tuple(...s.allOf.map((b: JsonSchema) => this.valid(b, name, depth))).map((parts) => Object.assign({}, ...parts.filter((p) => p && typeof p === 'object')));
    }
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    switch (type) {
      case 'string':
        return this.#string(s);
      case 'integer':
        return fc.integer({ min: Math.max(s.minimum ?? -1000, -1e9), max: Math.min(s.maximum ?? 1000, 1e9) });
      case 'number':
        return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        if (depth > 4) return fc.constant([]);
        return fc.array(this.any(s.items ?? {}, name, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 4, 4) });
      case 'object':
        return this.#object(s, depth);
      default:
        return fc.jsonValue({ maxDepth: 3 });
    }
  }

  #string(s: JsonSchema): fc.Arbitrary<string> {
    if (s.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    if (typeof s.pattern === 'string') return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length >= (s.minLength ?? 0) && x.length <= (s.maxLength ?? 200));
    return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40), unit: 'grapheme' });
  }

  #object(s: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    if (depth > 4) return fc.constant({});
    const props: Record<string, JsonSchema> = s.properties ?? {};
    const required = new Set<string>(s.required ?? []);
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [k, v] of Object.entries(props)) record[k] = this.any(v, k, depth + 1);
    const known = fc.record(record, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
    // Sometimes a field the schema does not have: `tenant_id`, `status`, a prototype key.
    const extra = this.#hostile === 0 ? fc.constant(null) : fc.option(fc.tuple(fc.constantFrom('tenant_id', 'status', 'attempts', 'role', 'id', 'extra'), hostileValue), { freq: 8 });
    const free = s.additionalProperties !== false && Object.keys(props).length === 0 ? fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) : fc.constant({});
    return fc.tuple(known, extra, free).map(([o, e, f]) => {
      const out: Record<string, unknown> = { ...(f as object), ...(o as object) };
      if (e) Object.defineProperty(out, e[0], { value: e[1], enumerable: true, writable: true, configurable: true });
      return out;
    });
  }

  /** One request for `operation`. */
  request(operation: Operation, keys: { admin: string; viewer: string }): fc.Arbitrary<FuzzRequest> {
    const params: Record<string, any>[] = operation.op.parameters ?? [];
    const pathParams = params.filter((p) => p.in === 'path');
    const queryParams = params.filter((p) => p.in === 'query');
    const bodySchema = operation.op.requestBody?.content?.['application/json']?.schema;

    const pathArb = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, fc.oneof({ arbitrary: this.valid(p.schema ?? {}, p.name).map(String), weight: 12 }, { arbitrary: hostileString, weight: 1 })])));
    const queryArb = fc.record(
      Object.fromEntries(queryParams.map((p) => [p.name, fc.oneof({ arbitrary: this.valid(p.schema ?? {}, p.name).map(String), weight: 8 }, { arbitrary: hostileString, weight: 1 })])),
      { requiredKeys: [] },
    );
    const bodyArb: fc.Arbitrary<string | undefined> = bodySchema
      ? fc.oneof(
          { arbitrary: this.wellFormed.valid(bodySchema, '', 0).map((b) => JSON.stringify(b) ?? 'null'), weight: 8 },
          { arbitrary: this.any(bodySchema, '', 0).map((b) => JSON.stringify(b) ?? 'null'), weight: 6 },
          { arbitrary: fc.constantFrom('', '{', '{"a":', 'null', '[]', '"x"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '['.repeat(100) + ']'.repeat(100)), weight: 1 },
        )
      : fc.option(fc.constantFrom('{}', 'null', '{"x":1}'), { freq: 5 }).map((b) => b ?? undefined);
    const authArb = fc.oneof(
      { arbitrary: fc.constant('admin' as const), weight: 16 },
      { arbitrary: fc.constantFrom('viewer' as const, 'none' as const, 'bogus' as const), weight: 1 },
    );
    const contentTypeArb = fc.oneof(
      { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 16 },
      { arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/yaml', 'application/json; charset=latin1'), weight: 1 },
    );
    const idempotencyArb = fc.option(fc.oneof(fc.uuid(), fc.constantFrom('fixed-key-1', 'fixed-key-2', 'x'.repeat(300))), { freq: 4 });

    return fc.tuple(pathArb, queryArb, bodyArb, authArb, contentTypeArb, idempotencyArb).map(([p, q, body, auth, contentType, idem]) => {
      let path = operation.path;
      for (const [k, v] of Object.entries(p)) path = path.replace(`{${k}}`, encodePathParam(v === '' ? 'x' : String(v)).replace(/^\.\.?$/, '%2E'));
      const search = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)] as [string, string])).toString();
      const headers: Record<string, string> = { accept: 'application/json' };
      if (auth === 'admin') headers.authorization = `Bearer ${keys.admin}`;
      else if (auth === 'viewer') headers.authorization = `Bearer ${keys.viewer}`;
      else if (auth === 'bogus') headers.authorization = 'Bearer agd_notakeynotakeynotakeynotakeynotakey00';
      if (body !== undefined) headers['content-type'] = contentType;
      if (idem && operation.method === 'post') headers['idempotency-key'] = idem;
      const req: FuzzRequest = { operation, method: operation.method.toUpperCase(), url: search ? `${path}?${search}` : path, headers, payload: body };
      // Counterexamples print as the request, not as the whole OpenAPI operation.
      Object.defineProperty(req, 'operation', { enumerable: false });
      Object.defineProperty(req, fc.toStringMethod, { value: () => `${req.method} ${req.url} ${JSON.stringify({ ...req.headers, authorization: req.headers.authorization ? '…' : undefined })} ${req.payload ?? ''}` });
      return req;
    });
  }
}
