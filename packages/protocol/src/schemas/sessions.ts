/**
 * Wire schemas of sessions (`/v1/sessions`): durable multi-turn conversations with an agent. A
 * message is a run of the session's endpoint; its reply (the run's output) is appended to the
 * history when the run succeeds. Each schema has the TypeScript type of the same name (`Static`).
 */
import Type, { type Static } from 'typebox';
import { Json, ListQueryFields, Nullable, OneOf, Time } from './common.ts';
import { MULTITASK_STRATEGIES, SESSION_MESSAGE_ROLES, SESSION_STATUSES } from '../states.ts';

/** The longest a session may sit idle before it ends itself (30 days), and the shortest (1 s). */
export const SESSION_IDLE_TTL_MAX_MS = 30 * 24 * 3_600_000;

export const Session = Type.Object({
  id: Type.String(),
  agent: Type.String(),
  endpoint: Type.String({ description: 'The endpoint every message of the session runs.' }),
  status: OneOf(SESSION_STATUSES),
  metadata: Json,
  /** The run of the message in flight, if any. */
  current_run_id: Nullable(Type.String({ description: 'The run of the message in flight; null when none is.' })),
  message_count: Type.Integer({ description: 'Messages in the history (user messages and replies).' }),
  forked_from: Nullable(Type.Object({ session_id: Type.String(), message_id: Type.String(), seq: Type.Integer() }, { description: 'The session and message this one was forked at.' })),
  idle_ttl_ms: Type.Integer({ description: 'The session ends itself after this long with no message in flight and none sent.' }),
  expires_at: Nullable(Time),
  end_reason: Nullable(Type.String()),
  created_at: Time,
  updated_at: Time,
  ended_at: Nullable(Time),
});
export type Session = Static<typeof Session>;

export const SessionCreate = Type.Object(
  {
    agent: Type.String({ minLength: 1, maxLength: 63 }),
    endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'The endpoint every message runs; may be left out when the agent has exactly one.' })),
    metadata: Type.Optional(Json),
    idle_ttl_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: SESSION_IDLE_TTL_MAX_MS, description: "Idle time after which the session ends itself. Default: the server's (AGENTD_SESSION_IDLE_TTL, 24h)." })),
  },
  { additionalProperties: false },
);
export type SessionCreate = Static<typeof SessionCreate>;

export const SessionListQuery = Type.Object(
  { agent: Type.Optional(Type.String({ maxLength: 63 })), status: Type.Optional(OneOf(SESSION_STATUSES)), ...ListQueryFields },
  { additionalProperties: false },
);
export type SessionListQuery = Static<typeof SessionListQuery>;

export const SessionPage = Type.Object({ data: Type.Array(Session), next_cursor: Nullable(Type.String()) });
export type SessionPage = Static<typeof SessionPage>;

export const SessionMessage = Type.Object({
  id: Type.String(),
  session_id: Type.String(),
  /** Position in the history, from 1, in the order messages were appended. */
  seq: Type.Integer(),
  role: OneOf(SESSION_MESSAGE_ROLES),
  content: Type.Unknown({ description: "A user message: what was sent (a worker agent's run input; an LLM agent's text). A reply: the run's output, or for a partial reply the text it streamed." }),
  /** The run of the message (a user message's run, or the run whose output a reply is). */
  run_id: Nullable(Type.String()),
  status: Type.String({
    description: 'A user message: queued (enqueued behind another), in_flight, or how its run ended (succeeded, failed, cancelled, timed_out). A reply: complete, or partial (what an interrupted or failed run streamed).',
  }),
  /** A reply: the seq of the user message it answers. */
  reply_to: Nullable(Type.Integer()),
  created_at: Time,
});
export type SessionMessage = Static<typeof SessionMessage>;

export const SessionMessagesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 40, description: 'The next_cursor of the previous page: the messages after it, oldest first.' })),
  },
  { additionalProperties: false },
);
export type SessionMessagesQuery = Static<typeof SessionMessagesQuery>;

export const SessionMessagePage = Type.Object({ data: Type.Array(SessionMessage), next_cursor: Nullable(Type.String()) }, { description: 'Messages oldest first.' });
export type SessionMessagePage = Static<typeof SessionMessagePage>;

export const SessionMessageCreate = Type.Object(
  {
    content: Type.Unknown({ description: "An LLM agent: the user's message (a string). A worker agent: the run's input, checked against the endpoint's input schema." }),
    multitask: Type.Optional(OneOf(MULTITASK_STRATEGIES)),
    metadata: Type.Optional(Json),
  },
  { additionalProperties: false },
);
export type SessionMessageCreate = Static<typeof SessionMessageCreate>;

export const SessionMessageAccepted = Type.Object({
  session_id: Type.String(),
  run_id: Type.String({ description: "The message's run: its events are the reply's stream." }),
  message: SessionMessage,
  /** in_flight: the run is queued for a worker now; queued: it waits for the message before it (multitask enqueue). */
  status: OneOf(['in_flight', 'queued'] as const),
  /** multitask interrupt: the run cancelled to make way (its streamed text kept as a partial reply). */
  interrupted_run_id: Nullable(Type.String()),
});
export type SessionMessageAccepted = Static<typeof SessionMessageAccepted>;

export const SessionFork = Type.Optional(
  Type.Union([
    Type.Object(
      {
        message_id: Type.Optional(Type.String({ maxLength: 100, description: 'The last message the fork keeps. Default: the newest.' })),
        metadata: Type.Optional(Json),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ]),
);
export type SessionFork = Static<typeof SessionFork>;

export const SessionEnd = Type.Optional(Type.Union([Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }), Type.Null()]));
export type SessionEnd = Static<typeof SessionEnd>;

export const SessionDeleted = Type.Object({ id: Type.String(), deleted: Type.Literal(true), messages_deleted: Type.Integer() });
export type SessionDeleted = Static<typeof SessionDeleted>;

export const SessionEventsQuery = Type.Object(
  { after: Type.Optional(Type.String({ maxLength: 40 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
  { additionalProperties: false },
);
export type SessionEventsQuery = Static<typeof SessionEventsQuery>;

/** What a worker's task carries for a run of a session: the earlier messages and replies, oldest first. */
export const TaskSession = Type.Object({
  id: Type.String(),
  messages: Type.Array(Type.Object({ role: OneOf(SESSION_MESSAGE_ROLES), content: Type.Unknown(), seq: Type.Integer(), status: Type.String() })),
});
export type TaskSession = Static<typeof TaskSession>;
