/**
 * The wire types clients use, each derived from its TypeBox schema in `./schemas/` (`Static`), so
 * the types, the server's validation and the OpenAPI document cannot drift apart. Types only: the
 * client entry loads no schema at run time (the server imports them from `@agentd/protocol/schemas`).
 */
export type {
  Agent,
  AgentEndpoint,
  AgentManifest,
  AgentVersion,
  ApiKey,
  Approval,
  ApprovalSpec,
  ApprovalStatus,
  ApprovalTimeoutPolicy,
  ApprovalVote,
  AuditRecord,
  CreatedApiKey,
  EndpointSpec,
  ErrorBody,
  Finding,
  Grant,
  HeartbeatResult,
  LogLine,
  Page,
  RetryPolicy,
  Run,
  RunAttempt,
  RunEvent,
  RunFailure,
  Secret,
  SecretDeleted,
  SecretDetail,
  SecretRewrapResult,
  SecretsWithheld,
  SecretVersionInfo,
  Task,
} from './schemas/index.ts';
