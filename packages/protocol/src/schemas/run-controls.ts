/** Wire schemas of live run controls (`PATCH /v1/runs/{id}`), signals and durable steps. */
import Type, { type Static } from 'typebox';
import { Nullable, Time } from './common.ts';

/** The retry policy fields a live run's policy may change (max_attempts is a field of its own). */
export const RetryPolicyPatch = Type.Object(
  {
    initial_interval_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 24 * 3_600_000 })),
    backoff_coefficient: Type.Optional(Type.Number({ minimum: 1, maximum: 10 })),
    max_interval_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 24 * 3_600_000 })),
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    non_retryable_types: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type RetryPolicyPatch = Static<typeof RetryPolicyPatch>;

export const RunUpdate = Type.Object(
  {
    generation: Type.Optional(Type.Integer({ minimum: 1, description: 'The generation this change is based on; or send it as `If-Match: "<generation>"`.' })),
    max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    retry: Type.Optional(RetryPolicyPatch),
    deadline: Type.Optional(Nullable(Time)),
    priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 100 })),
  },
  { additionalProperties: false },
);
export type RunUpdate = Static<typeof RunUpdate>;

/** A signal's name: what a wait names. */
export const SIGNAL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$';

export const SignalParams = Type.Object({ id: Type.String({ maxLength: 100 }), name: Type.String({ pattern: SIGNAL_NAME_PATTERN }) });
export type SignalParams = Static<typeof SignalParams>;

/** A signal's body is its payload: any JSON value (none: null). */
export const SignalPayload = Type.Optional(Type.Unknown());
export type SignalPayload = Static<typeof SignalPayload>;

export const Signal = Type.Object({
  id: Type.String(),
  run_id: Type.String(),
  name: Type.String(),
  payload: Type.Unknown(),
  created_at: Time,
  consumed_at: Nullable(Time),
  /** The wait that took it (`worker:<key>` for `ctx.waitForSignal`); null while it waits to be consumed. */
  consumed_by: Nullable(Type.String()),
});
export type Signal = Static<typeof Signal>;

export const LeaseSignalParams = Type.Object({ lease_id: Type.String({ maxLength: 100 }), name: Type.String({ pattern: SIGNAL_NAME_PATTERN }) });
export type LeaseSignalParams = Static<typeof LeaseSignalParams>;

export const SIGNAL_WAIT_MAX_MS = 30_000;

export const SignalWaitBody = Type.Object(
  {
    /**
     * Names this wait within the run (`<name>#<n>` by the SDK: the n-th wait for that name). The
     * signal it consumes is kept as consumed by it, so a later attempt waiting at the same place
     * gets the same signal back.
     */
    key: Type.String({ minLength: 1, maxLength: 200 }),
    wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: SIGNAL_WAIT_MAX_MS })),
    /** The wait's own timeout ends with this poll: with no signal, the run goes back to running. */
    last: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SignalWaitBody = Static<typeof SignalWaitBody>;

export const SignalWaitResult = Type.Object({ signal: Nullable(Signal) });
export type SignalWaitResult = Static<typeof SignalWaitResult>;

export const StepRecordBody = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 300 }), output: Type.Optional(Type.Unknown()) },
  { additionalProperties: false },
);
export type StepRecordBody = Static<typeof StepRecordBody>;

export const RecordedStep = Type.Object({ key: Type.String(), output: Type.Unknown(), seq: Type.Integer(), at: Time });
export type RecordedStep = Static<typeof RecordedStep>;

/** `recorded: false`: the key was recorded before (a later attempt cannot overwrite it); `step` is the first record. */
export const StepRecorded = Type.Object({ recorded: Type.Boolean(), step: RecordedStep });
export type StepRecorded = Static<typeof StepRecorded>;

export const RecordedSteps = Type.Object({ data: Type.Array(RecordedStep) });
export type RecordedSteps = Static<typeof RecordedSteps>;
