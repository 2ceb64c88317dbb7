/**
 * How stored values become wire values: epoch ms as ISO-8601. Rows written together share their
 * timestamps (one clock reading per commit), so the last answer is kept: a batch of runs formats
 * each time once, not per field. Each store owns one (`store.wire`), so two servers in one
 * process share no memo.
 */
export class WireFormat {
  #lastMs = Number.NaN;
  #lastIso = '';

  /** Epoch ms → ISO-8601. */
  iso(ms: number): string {
    if (ms !== this.#lastMs) {
      this.#lastIso = new Date(ms).toISOString();
      this.#lastMs = ms;
    }
    return this.#lastIso;
  }

  isoOrNull(ms: number | null): string | null {
    return ms === null || ms === undefined ? null : this.iso(ms);
  }
}

/** JSON text as a value; SQL NULL as null. */
export const parseJson = <T>(text: string | null): T | null => (text === null || text === undefined ? null : (JSON.parse(text) as T));
