/** How stored values become wire values: epoch ms as ISO-8601, JSON text as values. */
let lastMs = Number.NaN;
let lastIso = '';
/**
 * Epoch ms → ISO-8601. Rows written together share their timestamps (one clock reading per
 * commit), so the last answer is kept: a batch of runs formats each time once, not per field.
 */
export const iso = (ms: number): string => {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
};
export const isoOrNull = (ms: number | null): string | null => (ms === null || ms === undefined ? null : iso(ms));
export const parseJson = <T>(text: string | null): T | null => (text === null || text === undefined ? null : (JSON.parse(text) as T));
