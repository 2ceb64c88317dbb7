/** A secret value to take out of what a worker reports, and the name that replaces it. */
export interface ScrubEntry {
  name: string;
  value: string;
}

/**
 * Values shorter than this are not scrubbed: replacing every "a" or "42" in a run's output would
 * destroy it while protecting nothing (such a value is guessable anyway).
 */
export const MIN_SCRUB_LENGTH = 4;

/** Returns a copy of a JSON value with every granted secret value replaced by `[redacted:<name>]`. */
export type Scrubber = <T>(value: T) => T;

export const noScrubbing: Scrubber = (value) => value;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One pass over each string with one alternation, longest value first: a value that contains
 * another is replaced whole, and a replacement marker is never scanned again. The forms a value
 * takes inside a JSON string or a URL are matched too.
 */
export function createScrubber(entries: ScrubEntry[], opts: { marker?: (name: string) => string } = {}): Scrubber {
  const marker = opts.marker ?? ((name: string) => `[redacted:${name}]`);
  const byForm = new Map<string, string>();
  for (const e of entries) {
    if (e.value.length < MIN_SCRUB_LENGTH) continue;
    for (const form of [e.value, JSON.stringify(e.value).slice(1, -1), encodeURIComponent(e.value)]) {
      if (!byForm.has(form)) byForm.set(form, e.name);
    }
  }
  if (byForm.size === 0) return noScrubbing;
  const forms = [...byForm.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(forms.map(escapeRegExp).join('|'), 'g');
  const text = (s: string): string => {
    pattern.lastIndex = 0;
    return pattern.test(s) ? s.replace(pattern, (m) => marker(byForm.get(m)!)) : s;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (typeof v === 'number' || typeof v === 'bigint') {
      // A numeric secret written as a number: the stored JSON would show its digits.
      const s = String(v);
      const t = text(s);
      return t === s ? v : t;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      // defineProperty: a key named `__proto__` stays a key instead of replacing the prototype.
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, text(k), { value: walk(x), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  return <T>(value: T): T => walk(value) as T;
}
