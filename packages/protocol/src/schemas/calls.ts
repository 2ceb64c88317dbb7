/** Wire schemas of agent-to-agent calls: a worker starts a child run through its lease, then waits for it. */
import Type, { type Static } from 'typebox';
import { Json } from './common.ts';

/** A call key: names a child within its parent, so the same call after a retry finds the same child. */
const CALL_KEY_PATTERN = '^[^/]+$';
const CallKey = Type.String({ minLength: 1, maxLength: 200, pattern: CALL_KEY_PATTERN });

export const CallCreateBody = Type.Object(
  {
    agent: Type.String({ minLength: 1, maxLength: 63 }),
    endpoint: Type.String({ minLength: 1, maxLength: 63 }),
    input: Type.Optional(Type.Unknown()),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: CALL_KEY_PATTERN, description: "Names the child within the parent run; default: the child's own id (a new child on every call)" })),
    metadata: Type.Optional(Json),
    deadline: Type.Optional(Type.String({ format: 'date-time', description: "Never later than the parent's deadline: the earlier one wins" })),
  },
  { additionalProperties: false },
);
export type CallCreateBody = Static<typeof CallCreateBody>;

export const LeaseCallParams = Type.Object({ lease_id: Type.String({ maxLength: 100 }), key: CallKey });
export type LeaseCallParams = Static<typeof LeaseCallParams>;

/** How long a worker's wait for its child waits when it names no `wait_ms` (the schema's default). */
export const CALL_WAIT_DEFAULT_MS = 20_000;
export const CallWaitQuery = Type.Object({ wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000, default: CALL_WAIT_DEFAULT_MS })) }, { additionalProperties: false });
export type CallWaitQuery = Static<typeof CallWaitQuery>;
