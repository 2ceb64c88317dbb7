/**
 * Building blocks the concepts' schemas share, and the one error body. Every wire schema is a
 * TypeBox schema: the server validates and serialises with it, the OpenAPI document is generated
 * from it, and the TypeScript type of the same name is derived from it (`Static`).
 */
import Type, { type Static, type TSchema } from 'typebox';
import { ERROR_CODE_LIST } from '../errors.ts';

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/**
 * One of `values`: an `anyOf` of `const`s, typed as the union of the values. A union built with
 * `values.map(Type.Literal)` is a union of an array rather than of a tuple, which `Static` types
 * as `never`; `Unsafe` states the type the schema checks, and adds nothing to the JSON.
 */
export const OneOf = <const T extends string>(values: readonly T[]) => Type.Unsafe<T>(Type.Union(values.map((v) => Type.Literal(v))));
/** An RFC 3339 time, as every time on the wire is sent. */
export const Time = Type.String({ format: 'date-time' });
/** Any JSON object. */
export const Json = Type.Record(Type.String(), Type.Unknown());

/** The one error body every route answers with (`$id`: routes refer to it by name). */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: `One of ${ERROR_CODE_LIST.join(', ')}` }),
      message: Type.String(),
      details: Type.Unknown(),
      request_id: Type.String(),
    }),
  },
  { $id: 'ErrorBody', description: 'The one error body every route answers with.' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** A page of a list, newest first: `next_cursor` goes back as `cursor` for the next one. */
export const page = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String()) });
/** What `page(item)` sends, for any item type. Pass `next_cursor` back as `cursor` for the next one. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Page size of the newest-first lists when the query names none (the schema's default). */
export const LIST_LIMIT_DEFAULT = 50;

/** The query fields of every newest-first list, spread into a route's own query object. */
export const ListQueryFields = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: LIST_LIMIT_DEFAULT })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
};

/** The query of a list that takes nothing but its page. */
export const ListQuery = Type.Object(ListQueryFields, { additionalProperties: false });
export type ListQuery = Static<typeof ListQuery>;

/** `{id}` in a path, bounded like every id. */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
export type IdParams = Static<typeof IdParams>;

/** A POST that takes no fields: no body, `null` or `{}`. */
export const EmptyBody = Type.Optional(Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]));
