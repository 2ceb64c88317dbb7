/**
 * JSON with every object's keys sorted (UTF-16 order), arrays in order: two values that differ
 * only in key order give one text. Used where a value is compared or hashed rather than sent: an
 * idempotent request's body, a workflow definition's digest, a schedule's definition, a child
 * call's input on replay. `undefined` (a missing value) is written as `null`.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
