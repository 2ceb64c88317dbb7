import { Cron } from 'croner';
import { LRUCache } from 'lru-cache';
import type { FieldProblem } from '@agentd/protocol';

/**
 * How every schedule's cron is read (croner). `fixedTimeRule: 'no-wildcard'` makes a job whose
 * second, minute and hour fields hold no `*`, `?` or step a fixed-time job, as in Vixie cron: a
 * local time that a spring-forward gap skips fires once, at the first valid instant after the
 * gap, and a local time that a fall-back repeats fires once, at its first occurrence. Every other
 * job (`*\/15 * * * *`) follows real time: instants inside a gap do not exist, and the repeated
 * hour fires on both passes (they are different instants). With croner's default rule a list
 * such as `30 2,14 * * *` would lose its 02:30 on the spring-forward day.
 */
const CRON_OPTIONS = { mode: 'auto', fixedTimeRule: 'no-wildcard' } as const;

/** Five to seven fields, or one of croner's nicknames; never a date (croner would fire that once). */
const FIELDS = /^\S+(\s+\S+){4,6}$/;
const NICKNAME = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/i;

/** Answers of nextAfter kept per spec (see there). */
const NEXT_MEMO = 64;

/** One schedule's cron in its time zone. Times are epoch milliseconds; slots fall on whole seconds. */
export class CronSpec {
  readonly #cron: Cron;
  /**
   * Schedules that share a cron and time zone (a spec is shared through CronCache) are due
   * together, with the same cursor: a tick asks for the same next slot once for all of them.
   * Each answer costs croner tens of microseconds (it converts through Intl per step).
   */
  readonly #next = new Map<number, number | null>();

  constructor(cron: Cron) {
    this.#cron = cron;
  }

  /** The first slot strictly after `t`, or null when there is none. */
  nextAfter(t: number): number | null {
    const memo = this.#next.get(t);
    if (memo !== undefined) return memo;
    const next = this.#cron.nextRun(new Date(t))?.getTime() ?? null;
    if (this.#next.size >= NEXT_MEMO) this.#next.delete(this.#next.keys().next().value as number);
    this.#next.set(t, next);
    return next;
  }

  /** The next `n` slots strictly after `t`, in order. */
  nextTimes(n: number, t: number): number[] {
    return this.#cron.nextRuns(n, new Date(t)).map((d) => d.getTime());
  }

  /** The latest `n` slots at or before `t`, oldest first. */
  latestAtOrBefore(n: number, t: number): number[] {
    // previousRuns answers strictly before its reference, which counts milliseconds: t + 1 ms
    // includes a slot at t itself.
    return this.#cron
      .previousRuns(n, new Date(t + 1))
      .map((d) => d.getTime())
      .reverse();
  }
}

/** A cron and time zone that were read, or why they cannot be. */
export type CronParse = { ok: true; spec: CronSpec } | { ok: false; problems: FieldProblem[] };

function timeZoneProblem(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return null;
  } catch {
    return `is not a time zone this server knows (an IANA name such as Europe/Berlin, or UTC)`;
  }
}

/**
 * Parsed crons by (time zone, cron): a tick reads each due schedule's cron, and building a
 * croner job costs more than asking it for a time. Bounded, least recently used out first.
 */
export class CronCache {
  readonly #specs = new LRUCache<string, CronSpec>({ max: 10_000 });
  /** Time zones Intl accepted: building a formatter to ask costs about 0.1 ms. */
  readonly #zones = new LRUCache<string, true>({ max: 1000 });

  /** Reads `cron` in `timezone`, as a create or an update gives them; `now` for the check that it fires again at all. */
  parse(cron: string, timezone: string, now: number): CronParse {
    const problems: FieldProblem[] = [];
    const tz = this.#zones.has(timezone) ? null : timeZoneProblem(timezone);
    if (tz) problems.push({ path: 'timezone', message: tz });
    else this.#zones.set(timezone, true);
    const text = cron.trim();
    if (!FIELDS.test(text) && !NICKNAME.test(text)) problems.push({ path: 'cron', message: 'must be 5 to 7 cron fields (seconds first when 6 or 7) or a nickname such as @daily' });
    if (problems.length > 0) return { ok: false, problems };
    let spec: CronSpec;
    try {
      spec = this.of(text, timezone);
    } catch (err) {
      return { ok: false, problems: [{ path: 'cron', message: (err as Error).message.replace(/^CronPattern: /, '') }] };
    }
    if (spec.nextAfter(now) === null) return { ok: false, problems: [{ path: 'cron', message: 'never fires after now' }] };
    return { ok: true, spec };
  }

  /** A cron already checked by `parse` (a stored schedule's); throws croner's error otherwise. */
  of(cron: string, timezone: string): CronSpec {
    const key = `${timezone}\n${cron}`;
    let spec = this.#specs.get(key);
    if (!spec) {
      spec = new CronSpec(new Cron(cron.trim(), { ...CRON_OPTIONS, timezone }));
      this.#specs.set(key, spec);
    }
    return spec;
  }
}
