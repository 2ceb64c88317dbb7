/**
 * Which event types a subscription's `events` list selects: `*` every type, `prefix.*` every type
 * under the prefix (`run.*` matches `run.succeeded` and `run.output.delta`, not `runs.x`), any
 * other entry that type exactly.
 */
export function eventMatcher(patterns: readonly string[]): (type: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !p.endsWith('.*')));
  const prefixes = patterns.filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -1));
  if (prefixes.length === 0) return (type) => exact.has(type);
  return (type) => exact.has(type) || prefixes.some((p) => type.startsWith(p));
}
